package errcode

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestErrorText(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{New("File.DiskFull", "the disk is full"), "the disk is full"},
		{Wrap("File.IOError", "write the output", fs.ErrPermission), "write the output: permission denied"},
		{&Error{Code: "X.Y", Op: "kms Encrypt", Message: "denied", RequestID: "r-1"}, "kms Encrypt: denied (request r-1)"},
		{&Error{Code: "X.Y"}, "X.Y"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

func TestCodeFindsTheFirstCodedErrorInTheChain(t *testing.T) {
	inner := New("Envelope.Truncated", "short")
	outer := fmt.Errorf("decrypt a.kmsenc: %w", inner)
	if got := Code(outer); got != "Envelope.Truncated" {
		t.Fatalf("Code = %q", got)
	}
	if Code(errors.New("plain")) != "" || Code(nil) != "" {
		t.Fatal("an error without a code has the empty code")
	}
	if CodeOr(errors.New("plain"), Unknown) != Unknown || CodeOr(outer, Unknown) != "Envelope.Truncated" {
		t.Fatal("CodeOr")
	}
	if As(outer) != inner || As(errors.New("x")) != nil {
		t.Fatal("As")
	}
}

func TestHasMatchesSubCodes(t *testing.T) {
	err := New("AuthFailure.SignatureExpire", "")
	for code, want := range map[string]bool{
		"AuthFailure": true, "AuthFailure.SignatureExpire": true, "AuthFail": false, "AuthFailure.Signature": false, "": false,
	} {
		if Has(err, code) != want {
			t.Errorf("Has(%q) = %v", code, !want)
		}
	}
}

func TestIsMatchesSentinelsOfTheSameCode(t *testing.T) {
	sentinel := New("Envelope.Truncated", "file is truncated")
	specific := Wrap("Envelope.Truncated", "chunk 3 is short", fs.ErrClosed)
	if !errors.Is(fmt.Errorf("x: %w", specific), sentinel) {
		t.Fatal("a wrapped error of the class must match its sentinel")
	}
	if errors.Is(specific, New("Envelope.AuthenticationFailed", "")) {
		t.Fatal("another code must not match")
	}
	if errors.Is(sentinel, specific) {
		t.Fatal("an error with a cause is not a sentinel")
	}
	if !errors.Is(specific, fs.ErrClosed) {
		t.Fatal("the cause stays reachable")
	}
}

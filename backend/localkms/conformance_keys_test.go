package localkms

import (
	"fmt"
	"strings"
	"testing"
	"time"

	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Conformance suite, part 1: key lifecycle and metadata, driven through the
// official Go SDK over loopback HTTP and through Transport.

func TestCreateKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		t.Run("defaults", func(t *testing.T) {
			req := kms.NewCreateKeyRequest()
			req.Alias = sp("app-key_1")
			req.Description = sp("for the app")
			req.Tags = []*kms.Tag{{TagKey: sp("env"), TagValue: sp("dev")}}
			resp, err := e.kms().CreateKey(req)
			must(t, err)
			r := resp.Response
			if !validKeyID(*r.KeyId) || *r.Alias != "app-key_1" || *r.Description != "for the app" ||
				*r.KeyState != "Enabled" || *r.KeyUsage != "ENCRYPT_DECRYPT" || *r.TagCode != 0 ||
				int64(*r.CreateTime) != e.clock.Now().Unix() {
				t.Fatalf("unexpected response %s", resp.ToJsonString())
			}
			md := e.describe(*r.KeyId)
			if *md.Origin != "TENCENT_KMS" || *md.Type != 2 || *md.Owner != "user" || *md.CreatorUin != 100000000001 ||
				*md.ResourceId != "creatorUin/100000000001/"+*r.KeyId || *md.KeyRotationEnabled || *md.DeletionDate != 0 ||
				int64(*md.NextRotateTime) != e.clock.Now().Unix()+365*86400 {
				t.Fatalf("unexpected metadata %+v", md)
			}
		})
		t.Run("same alias in another region", func(t *testing.T) {
			e.createKey("shared-alias")
			req := kms.NewCreateKeyRequest()
			req.Alias = sp("shared-alias")
			_, err := e.kmsRegion("ap-shanghai").CreateKey(req)
			must(t, err)
		})
		tests := []struct {
			name string
			mod  func(*kms.CreateKeyRequest)
			code string
		}{
			{"missing alias", func(r *kms.CreateKeyRequest) { r.Alias = nil }, codeMissingParameter},
			{"alias bad char", func(r *kms.CreateKeyRequest) { r.Alias = sp("a b") }, codeInvalidAlias},
			{"alias leading dash", func(r *kms.CreateKeyRequest) { r.Alias = sp("-abc") }, codeInvalidAlias},
			{"alias 61 chars", func(r *kms.CreateKeyRequest) { r.Alias = sp(strings.Repeat("a", 61)) }, codeInvalidAlias},
			{"alias reserved prefix", func(r *kms.CreateKeyRequest) { r.Alias = sp("kms-cos") }, codeInvalidAlias},
			{"alias taken", func(r *kms.CreateKeyRequest) { r.Alias = sp("taken") }, codeAliasAlreadyExists},
			{"bad usage", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp("SIGN") }, codeInvalidKeyUsage},
			{"bad type", func(r *kms.CreateKeyRequest) { r.Type = up(3) }, codeInvalidType},
			{"external asymmetric", func(r *kms.CreateKeyRequest) { r.Type = up(2); r.KeyUsage = sp("ASYMMETRIC_SIGN_VERIFY_ECC") }, codeInvalidKeyUsage},
			{"duplicate tag keys", func(r *kms.CreateKeyRequest) {
				r.Tags = []*kms.Tag{{TagKey: sp("a"), TagValue: sp("1")}, {TagKey: sp("a"), TagValue: sp("2")}}
			}, codeTagKeysDuplicated},
			{"tag without value", func(r *kms.CreateKeyRequest) { r.Tags = []*kms.Tag{{TagKey: sp("a")}} }, codeMissingParameter},
			{"hsm cluster", func(r *kms.CreateKeyRequest) { r.HsmClusterId = sp("cluster-1") }, codeInvalidHsmClusterID},
			{"description too long", func(r *kms.CreateKeyRequest) { r.Description = sp(strings.Repeat("x", 1025)) }, codeInvalidParameterValue},
			{"description with terminal escapes", func(r *kms.CreateKeyRequest) { r.Description = sp("x\x1b[2J\x1b]0;pwn\x07") }, codeInvalidParameterValue},
			{"description with a C1 control", func(r *kms.CreateKeyRequest) { r.Description = sp("x\u009b2J") }, codeInvalidParameterValue},
			{"description with a line break", func(r *kms.CreateKeyRequest) { r.Description = sp("a\nb") }, codeInvalidParameterValue},
			{"alias with an escape", func(r *kms.CreateKeyRequest) { r.Alias = sp("a\x1b[2J") }, codeInvalidAlias},
		}
		e.createKey("taken")
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewCreateKeyRequest()
				req.Alias = sp(fmt.Sprintf("create-err-%d", i))
				tc.mod(req)
				_, err := e.kms().CreateKey(req)
				wantCode(t, err, tc.code)
			})
		}
	})
}

func TestDescribeKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("describe-me", func(r *kms.CreateKeyRequest) { r.Description = sp("d") })
		tests := []struct {
			name, keyID, region, code string
		}{
			{"found", id, "ap-guangzhou", ""},
			{"unknown", "00000000-0000-4000-8000-000000000000", "ap-guangzhou", codeCmkNotFound},
			{"malformed", "describe-me", "ap-guangzhou", codeInvalidKeyID},
			{"uppercase", strings.ToUpper(id), "ap-guangzhou", codeInvalidKeyID},
			{"other region", id, "ap-shanghai", codeCmkNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewDescribeKeyRequest()
				req.KeyId = sp(tc.keyID)
				resp, err := e.kmsRegion(tc.region).DescribeKey(req)
				wantCode(t, err, tc.code)
				if err == nil && (*resp.Response.KeyMetadata.KeyId != id || *resp.Response.KeyMetadata.Alias != "describe-me" || *resp.Response.KeyMetadata.Description != "d") {
					t.Fatalf("unexpected metadata %s", resp.ToJsonString())
				}
			})
		}
	})
}

func TestDescribeKeys(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		a, b := e.createKey("dk-a"), e.createKey("dk-b")
		tooMany := make([]*string, 101)
		for i := range tooMany {
			tooMany[i] = sp(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		}
		tests := []struct {
			name string
			ids  []*string
			code string
		}{
			{"two", []*string{sp(b), sp(a)}, ""},
			{"duplicate", []*string{sp(a), sp(a)}, codeDuplicatedKeyID},
			{"one unknown", []*string{sp(a), sp("00000000-0000-4000-8000-000000000000")}, codeCmkNotFound},
			{"malformed", []*string{sp("x")}, codeInvalidKeyID},
			{"too many", tooMany, codeInvalidParameter},
			{"empty", nil, codeMissingParameter},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewDescribeKeysRequest()
				req.KeyIds = tc.ids
				resp, err := e.kms().DescribeKeys(req)
				wantCode(t, err, tc.code)
				if err == nil {
					md := resp.Response.KeyMetadatas
					if len(md) != 2 || *md[0].KeyId != b || *md[1].KeyId != a {
						t.Fatalf("unexpected metadatas %s", resp.ToJsonString())
					}
				}
			})
		}
	})
}

func TestListKeys(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 12 {
			ids = append(ids, e.createKey(fmt.Sprintf("lk-%02d", i)))
			e.clock.Advance(time.Second)
		}
		e.setState(ids[0], "disable", "schedule") // PendingDelete: not listed
		e.setState(ids[1], "archive")             // Archived: not listed
		e.setState(ids[2], "disable")             // Disabled: listed
		list := func(offset, limit *uint64, role *uint64) ([]string, uint64, error) {
			req := kms.NewListKeysRequest()
			req.Offset, req.Limit, req.Role = offset, limit, role
			resp, err := e.kms().ListKeys(req)
			if err != nil {
				return nil, 0, err
			}
			var out []string
			for _, k := range resp.Response.Keys {
				out = append(out, *k.KeyId)
			}
			return out, *resp.Response.TotalCount, nil
		}
		t.Run("default page", func(t *testing.T) {
			got, total, err := list(nil, nil, nil)
			must(t, err)
			if total != 10 || len(got) != 10 || got[0] != ids[11] || got[9] != ids[2] {
				t.Fatalf("got %v total %d", got, total)
			}
		})
		t.Run("offset", func(t *testing.T) {
			got, total, err := list(up(8), up(5), nil)
			must(t, err)
			if total != 10 || len(got) != 2 || got[0] != ids[3] || got[1] != ids[2] {
				t.Fatalf("got %v total %d", got, total)
			}
		})
		t.Run("offset past end", func(t *testing.T) {
			got, total, err := list(up(50), nil, nil)
			must(t, err)
			if total != 10 || len(got) != 0 {
				t.Fatalf("got %v total %d", got, total)
			}
		})
		t.Run("cloud product role", func(t *testing.T) {
			got, total, err := list(nil, nil, up(1))
			must(t, err)
			if total != 0 || len(got) != 0 {
				t.Fatalf("got %v total %d", got, total)
			}
		})
		t.Run("limit too large", func(t *testing.T) {
			_, _, err := list(nil, up(201), nil)
			wantCode(t, err, codeInvalidParameter)
		})
		t.Run("bad role", func(t *testing.T) {
			_, _, err := list(nil, nil, up(2))
			wantCode(t, err, codeInvalidParameter)
		})
	})
}

func TestListKeyDetail(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		sym := e.createKey("ld-symmetric", func(r *kms.CreateKeyRequest) {
			r.Tags = []*kms.Tag{{TagKey: sp("env"), TagValue: sp("prod")}, {TagKey: sp("team"), TagValue: sp("a")}}
		})
		e.clock.Advance(time.Second)
		ecc := e.createKey("ld-ecc", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp("ASYMMETRIC_SIGN_VERIFY_ECC") })
		e.clock.Advance(time.Second)
		disabled := e.createKey("ld-disabled", func(r *kms.CreateKeyRequest) {
			r.Tags = []*kms.Tag{{TagKey: sp("env"), TagValue: sp("dev")}}
		})
		e.setState(disabled, "disable")
		e.clock.Advance(time.Second)
		ext := e.createKey("ld-external", func(r *kms.CreateKeyRequest) { r.Type = up(2) })

		tests := []struct {
			name string
			mod  func(*kms.ListKeyDetailRequest)
			want []string
			code string
		}{
			{"default usage is ENCRYPT_DECRYPT", func(*kms.ListKeyDetailRequest) {}, []string{ext, disabled, sym}, ""},
			{"ALL usages", func(r *kms.ListKeyDetailRequest) { r.KeyUsage = sp("ALL") }, []string{ext, disabled, ecc, sym}, ""},
			{"one usage", func(r *kms.ListKeyDetailRequest) { r.KeyUsage = sp("ASYMMETRIC_SIGN_VERIFY_ECC") }, []string{ecc}, ""},
			{"ascending", func(r *kms.ListKeyDetailRequest) { r.OrderType = up(1) }, []string{sym, disabled, ext}, ""},
			{"state Disabled", func(r *kms.ListKeyDetailRequest) { r.KeyState = up(2) }, []string{disabled}, ""},
			{"state PendingImport", func(r *kms.ListKeyDetailRequest) { r.KeyState = up(4) }, []string{ext}, ""},
			{"search alias", func(r *kms.ListKeyDetailRequest) { r.SearchKeyAlias = sp("SYMMETRIC") }, []string{sym}, ""},
			{"search key id", func(r *kms.ListKeyDetailRequest) { r.SearchKeyAlias = sp(disabled[:13]) }, []string{disabled}, ""},
			{"origin EXTERNAL", func(r *kms.ListKeyDetailRequest) { r.Origin = sp("EXTERNAL") }, []string{ext}, ""},
			{"origin TENCENT_KMS", func(r *kms.ListKeyDetailRequest) { r.Origin = sp("TENCENT_KMS") }, []string{disabled, sym}, ""},
			{"tag key and value", func(r *kms.ListKeyDetailRequest) {
				r.TagFilters = []*kms.TagFilter{{TagKey: sp("env"), TagValue: []*string{sp("prod"), sp("staging")}}}
			}, []string{sym}, ""},
			{"tag key only", func(r *kms.ListKeyDetailRequest) { r.TagFilters = []*kms.TagFilter{{TagKey: sp("env")}} }, []string{disabled, sym}, ""},
			{"two tag filters", func(r *kms.ListKeyDetailRequest) {
				r.TagFilters = []*kms.TagFilter{{TagKey: sp("env")}, {TagKey: sp("team"), TagValue: []*string{sp("b")}}}
			}, nil, ""},
			{"page", func(r *kms.ListKeyDetailRequest) { r.Offset = up(1); r.Limit = up(1) }, []string{disabled}, ""},
			{"bad state", func(r *kms.ListKeyDetailRequest) { r.KeyState = up(6) }, nil, codeInvalidParameter},
			{"bad order", func(r *kms.ListKeyDetailRequest) { r.OrderType = up(2) }, nil, codeInvalidParameter},
			{"bad origin", func(r *kms.ListKeyDetailRequest) { r.Origin = sp("external") }, nil, codeInvalidParameter},
			{"bad usage", func(r *kms.ListKeyDetailRequest) { r.KeyUsage = sp("all") }, nil, codeInvalidParameter},
			{"limit too large", func(r *kms.ListKeyDetailRequest) { r.Limit = up(201) }, nil, codeInvalidParameter},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewListKeyDetailRequest()
				tc.mod(req)
				resp, err := e.kms().ListKeyDetail(req)
				wantCode(t, err, tc.code)
				if err != nil {
					return
				}
				var got []string
				for _, m := range resp.Response.KeyMetadatas {
					got = append(got, *m.KeyId)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				if tc.name != "page" && int(*resp.Response.TotalCount) != len(tc.want) {
					t.Fatalf("TotalCount %d, want %d", *resp.Response.TotalCount, len(tc.want))
				}
			})
		}
	})
}

func TestUpdateAlias(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("ua-old")
		other := e.createKey("ua-other")
		pending := e.createKey("ua-pending")
		e.setState(pending, "disable", "schedule")
		tests := []struct {
			name, keyID, alias, code string
		}{
			{"rename", id, "ua-new", ""},
			{"same alias", id, "ua-new", ""},
			{"taken", id, "ua-other", codeAliasAlreadyExists},
			{"invalid", id, "bad alias", codeInvalidAlias},
			{"reserved", id, "kms-x", codeInvalidAlias},
			{"pending delete", pending, "ua-pending-2", codeCmkStateNotSupport},
			{"unknown", "00000000-0000-4000-8000-000000000000", "ua-x", codeCmkNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewUpdateAliasRequest()
				req.KeyId, req.Alias = sp(tc.keyID), sp(tc.alias)
				_, err := e.kms().UpdateAlias(req)
				wantCode(t, err, tc.code)
			})
		}
		if got := *e.describe(id).Alias; got != "ua-new" {
			t.Fatalf("alias = %q", got)
		}
		// The old alias is free again.
		e.createKey("ua-old")
		_ = other
	})
}

func TestUpdateKeyDescription(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("ud")
		pending := e.createKey("ud-pending")
		e.setState(pending, "disable", "schedule")
		tests := []struct {
			name, keyID, desc, code string
		}{
			{"set", id, "新的描述", ""},
			{"too long", id, strings.Repeat("x", 1025), codeInvalidParameterValue},
			{"terminal escapes", id, "\x1b[2J\x1b]0;pwn\x07", codeInvalidParameterValue},
			{"C1 control", id, "\u0085", codeInvalidParameterValue},
			{"DEL", id, "a\x7f", codeInvalidParameterValue},
			{"missing", id, "", codeMissingParameter},
			{"pending delete", pending, "x", codeCmkStateNotSupport},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := kms.NewUpdateKeyDescriptionRequest()
				req.KeyId = sp(tc.keyID)
				req.Description = opt(tc.desc)
				_, err := e.kms().UpdateKeyDescription(req)
				wantCode(t, err, tc.code)
			})
		}
		if got := *e.describe(id).Description; got != "新的描述" {
			t.Fatalf("description = %q", got)
		}
	})
}

func TestEnableDisableKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("ed")
		archived := e.createKey("ed-archived")
		e.setState(archived, "archive")
		c := e.kms()
		dis := kms.NewDisableKeyRequest()
		dis.KeyId = sp(id)
		en := kms.NewEnableKeyRequest()
		en.KeyId = sp(id)

		_, err := c.DisableKey(dis)
		must(t, err)
		if s := *e.describe(id).KeyState; s != "Disabled" {
			t.Fatalf("state %s", s)
		}
		_, err = c.DisableKey(dis) // idempotent
		must(t, err)
		_, err = e.encrypt(id, []byte("x"), "")
		wantCode(t, err, codeCmkDisabled)
		_, err = c.EnableKey(en)
		must(t, err)
		_, err = c.EnableKey(en)
		must(t, err)
		if s := *e.describe(id).KeyState; s != "Enabled" {
			t.Fatalf("state %s", s)
		}
		e.mustEncrypt(id, []byte("x"), "")

		en.KeyId = sp(archived)
		_, err = c.EnableKey(en)
		wantCode(t, err, codeCmkStateNotSupport)
		dis.KeyId = sp(archived)
		_, err = c.DisableKey(dis)
		wantCode(t, err, codeCmkStateNotSupport)
		dis.KeyId = sp("nope")
		_, err = c.DisableKey(dis)
		wantCode(t, err, codeInvalidKeyID)
	})
}

func TestEnableDisableKeys(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		a, b := e.createKey("eds-a"), e.createKey("eds-b")
		c := e.kms()
		dis := kms.NewDisableKeysRequest()
		dis.KeyIds = []*string{sp(a), sp(b)}
		_, err := c.DisableKeys(dis)
		must(t, err)
		for _, id := range []string{a, b} {
			if s := *e.describe(id).KeyState; s != "Disabled" {
				t.Fatalf("%s state %s", id, s)
			}
		}
		// All or nothing: one unknown key leaves every key as it was.
		en := kms.NewEnableKeysRequest()
		en.KeyIds = []*string{sp(a), sp("00000000-0000-4000-8000-000000000000")}
		_, err = c.EnableKeys(en)
		wantCode(t, err, codeCmkNotFound)
		if s := *e.describe(a).KeyState; s != "Disabled" {
			t.Fatalf("partial batch applied: state %s", s)
		}
		en.KeyIds = []*string{sp(a), sp(a)}
		_, err = c.EnableKeys(en)
		wantCode(t, err, codeDuplicatedKeyID)
		en.KeyIds = []*string{sp(a), sp(b)}
		_, err = c.EnableKeys(en)
		must(t, err)
		for _, id := range []string{a, b} {
			if s := *e.describe(id).KeyState; s != "Enabled" {
				t.Fatalf("%s state %s", id, s)
			}
		}
		en.KeyIds = nil
		_, err = c.EnableKeys(en)
		wantCode(t, err, codeMissingParameter)
	})
}

func TestScheduleAndCancelKeyDeletion(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("del")
		blob := e.mustEncrypt(id, []byte("secret"), "")
		c := e.kms()
		sched := func(days uint64) (*kms.ScheduleKeyDeletionResponse, error) {
			r := kms.NewScheduleKeyDeletionRequest()
			r.KeyId = sp(id)
			r.PendingWindowInDays = up(days)
			return c.ScheduleKeyDeletion(r)
		}
		cancel := func() error {
			r := kms.NewCancelKeyDeletionRequest()
			r.KeyId = sp(id)
			_, err := c.CancelKeyDeletion(r)
			return err
		}
		_, err := sched(7)
		wantCode(t, err, codeCmkShouldBeDisabled)
		wantCode(t, cancel(), codeCmkNotPendingDelete)
		e.setState(id, "disable")
		for _, days := range []uint64{6, 31} {
			_, err = sched(days)
			wantCode(t, err, codeInvalidPendingWindow)
		}
		r := kms.NewScheduleKeyDeletionRequest()
		r.KeyId = sp(id)
		_, err = c.ScheduleKeyDeletion(r)
		wantCode(t, err, codeMissingParameter)

		resp, err := sched(7)
		must(t, err)
		want := e.clock.Now().Unix() + 7*86400
		if int64(*resp.Response.DeletionDate) != want || *resp.Response.KeyId != id {
			t.Fatalf("unexpected response %s", resp.ToJsonString())
		}
		md := e.describe(id)
		if *md.KeyState != "PendingDelete" || int64(*md.DeletionDate) != want {
			t.Fatalf("metadata %+v", md)
		}
		_, _, err = e.decrypt(blob, "")
		wantCode(t, err, codeCmkDisabled)
		_, err = e.encrypt(id, []byte("x"), "")
		wantCode(t, err, codeCmkStateNotSupport)
		gdk := kms.NewGenerateDataKeyRequest()
		gdk.KeyId, gdk.KeySpec = sp(id), sp("AES_256")
		_, err = c.GenerateDataKey(gdk)
		wantCode(t, err, codeKeyPendingDelete)

		must(t, cancel())
		md = e.describe(id)
		if *md.KeyState != "Disabled" || *md.DeletionDate != 0 {
			t.Fatalf("after cancel: %+v", md)
		}

		// Schedule again and let the deletion date pass: the key is purged and its
		// alias is free.
		_, err = sched(7)
		must(t, err)
		e.clock.Advance(7*24*time.Hour - time.Second)
		if s := *e.describe(id).KeyState; s != "PendingDelete" {
			t.Fatalf("purged early: %s", s)
		}
		e.clock.Advance(time.Second)
		d := kms.NewDescribeKeyRequest()
		d.KeyId = sp(id)
		_, err = c.DescribeKey(d)
		wantCode(t, err, codeCmkNotFound)
		_, _, err = e.decrypt(blob, "")
		wantCode(t, err, codeCmkNotFound)
		e.createKey("del")
	})
}

func TestPurgeOnList(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("purge-list")
		e.setState(id, "disable", "schedule")
		e.clock.Advance(8 * 24 * time.Hour)
		req := kms.NewListKeyDetailRequest()
		req.KeyState = up(0)
		resp, err := e.kms().ListKeyDetail(req)
		must(t, err)
		if *resp.Response.TotalCount != 0 {
			t.Fatalf("purged key still listed: %s", resp.ToJsonString())
		}
		if e.srv.snapshot(id) != nil {
			t.Fatal("purged key still in memory")
		}
	})
}

func TestArchiveKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("arch")
		blob := e.mustEncrypt(id, []byte("archived data"), `{"k":"v"}`)
		c := e.kms()
		ar := kms.NewArchiveKeyRequest()
		ar.KeyId = sp(id)
		_, err := c.ArchiveKey(ar)
		must(t, err)
		_, err = c.ArchiveKey(ar) // idempotent
		must(t, err)
		if s := *e.describe(id).KeyState; s != "Archived" {
			t.Fatalf("state %s", s)
		}
		_, err = e.encrypt(id, []byte("x"), "")
		wantCode(t, err, codeCmkArchived)
		gdk := kms.NewGenerateDataKeyRequest()
		gdk.KeyId, gdk.NumberOfBytes = sp(id), up(16)
		_, err = c.GenerateDataKey(gdk)
		wantCode(t, err, codeCmkArchived)
		pt, _, err := e.decrypt(blob, `{"k":"v"}`)
		must(t, err)
		if string(pt) != "archived data" {
			t.Fatalf("plaintext %q", pt)
		}

		ca := kms.NewCancelKeyArchiveRequest()
		ca.KeyId = sp(id)
		_, err = c.CancelKeyArchive(ca)
		must(t, err)
		if s := *e.describe(id).KeyState; s != "Enabled" {
			t.Fatalf("state %s", s)
		}
		_, err = c.CancelKeyArchive(ca)
		wantCode(t, err, codeCmkStateNotSupport)
		e.setState(id, "disable")
		_, err = c.ArchiveKey(ar)
		wantCode(t, err, codeCmkStateNotSupport)
	})
}

func TestKeyRotation(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("rot")
		ecc := e.createKey("rot-ecc", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp("ASYMMETRIC_SIGN_VERIFY_ECC") })
		ext := e.createKey("rot-ext", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
		c := e.kms()
		status := func(keyID string) bool {
			r := kms.NewGetKeyRotationStatusRequest()
			r.KeyId = sp(keyID)
			resp, err := c.GetKeyRotationStatus(r)
			must(t, err)
			return *resp.Response.KeyRotationEnabled
		}
		enable := func(keyID string, days *uint64) error {
			r := kms.NewEnableKeyRotationRequest()
			r.KeyId, r.RotateDays = sp(keyID), days
			_, err := c.EnableKeyRotation(r)
			return err
		}
		if status(id) {
			t.Fatal("rotation enabled by default")
		}
		wantCode(t, enable(id, up(6)), codeInvalidParameterValue)
		wantCode(t, enable(id, up(366)), codeInvalidParameterValue)
		wantCode(t, enable(ecc, nil), codeInvalidKeyUsage)
		wantCode(t, enable(ext, nil), codeExternalCmkCanNotRotate)
		must(t, enable(id, up(30)))
		if !status(id) {
			t.Fatal("rotation not enabled")
		}
		md := e.describe(id)
		if !*md.KeyRotationEnabled || int64(*md.NextRotateTime) != e.clock.Now().Unix()+30*86400 {
			t.Fatalf("metadata %+v", md)
		}
		before := e.mustEncrypt(id, []byte("v1 data"), "")
		e.clock.Advance(30 * 24 * time.Hour)
		after := e.mustEncrypt(id, []byte("v2 data"), "")
		bb, _ := parseBlob(before)
		ab, _ := parseBlob(after)
		if bb.keyVersion != 1 || ab.keyVersion != 2 {
			t.Fatalf("versions %d, %d; want 1, 2", bb.keyVersion, ab.keyVersion)
		}
		for blob, want := range map[string]string{before: "v1 data", after: "v2 data"} {
			pt, _, err := e.decrypt(blob, "")
			must(t, err)
			if string(pt) != want {
				t.Fatalf("plaintext %q, want %q", pt, want)
			}
		}
		if got := int64(*e.describe(id).NextRotateTime); got != e.clock.Now().Unix()+30*86400 {
			t.Fatalf("NextRotateTime %d not advanced", got)
		}

		dr := kms.NewDisableKeyRotationRequest()
		dr.KeyId = sp(id)
		_, err := c.DisableKeyRotation(dr)
		must(t, err)
		if status(id) {
			t.Fatal("rotation still enabled")
		}
		e.clock.Advance(60 * 24 * time.Hour)
		third := e.mustEncrypt(id, []byte("x"), "")
		if tb, _ := parseBlob(third); tb.keyVersion != 2 {
			t.Fatalf("rotated while disabled: version %d", tb.keyVersion)
		}

		// The admin hook rotates immediately.
		must(t, e.srv.RotateKeyNow(id))
		fourth := e.mustEncrypt(id, []byte("x"), "")
		if fb, _ := parseBlob(fourth); fb.keyVersion != 3 {
			t.Fatalf("RotateKeyNow: version %d", fb.keyVersion)
		}
		if err := e.srv.RotateKeyNow(ecc); err == nil {
			t.Fatal("RotateKeyNow rotated an asymmetric key")
		}
	})
}

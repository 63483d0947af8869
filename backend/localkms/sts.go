package localkms

import (
	"fmt"
	"time"
)

// STS AssumeRole (API 2018-08-13): any authenticated permanent credential may
// assume any role; the result is a temporary credential of this server.

const (
	minAssumeSeconds     = 900   // seconds
	maxAssumeSeconds     = 43200 // seconds
	defaultAssumeSeconds = 7200  // seconds
)

type stsTagParam struct {
	Key   string
	Value string
}

type assumeRoleParams struct {
	RoleArn         string
	RoleSessionName string
	DurationSeconds *uint64
	Policy          string
	ExternalID      string
	Tags            []stsTagParam
	SourceIdentity  string
	SerialNumber    string
	TokenCode       string
}

func (p *assumeRoleParams) fields() []field {
	return []field{
		fStr("RoleArn", &p.RoleArn, true),
		fStr("RoleSessionName", &p.RoleSessionName, true),
		fUint("DurationSeconds", &p.DurationSeconds, false),
		fStr("Policy", &p.Policy, false),
		fStr("ExternalId", &p.ExternalID, false),
		fObjects("Tags", false, func(n int) [][]field {
			p.Tags = make([]stsTagParam, n)
			out := make([][]field, n)
			for i := range p.Tags {
				t := &p.Tags[i]
				out[i] = []field{fStr("Key", &t.Key, true), fStr("Value", &t.Value, false)}
			}
			return out
		}),
		fStr("SourceIdentity", &p.SourceIdentity, false),
		fStr("SerialNumber", &p.SerialNumber, false),
		fStr("TokenCode", &p.TokenCode, false),
	}
}

type stsCredentials struct {
	Token        string `json:"Token"`
	TmpSecretID  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
}

type assumeRoleResult struct {
	Credentials stsCredentials `json:"Credentials"`
	ExpiredTime int64          `json:"ExpiredTime"`
	Expiration  string         `json:"Expiration"`
}

func actAssumeRole(s *Server, c *call, p *assumeRoleParams) (any, *apiError) {
	if c.cred.Kind == kindTemporary {
		return nil, apiErr(codeSTSTempKeyNotAllow,
			"Temporary credentials cannot call AssumeRole.",
			"临时密钥不能调用 AssumeRole。")
	}
	secs := uint64(defaultAssumeSeconds)
	if p.DurationSeconds != nil {
		secs = *p.DurationSeconds
		if secs < minAssumeSeconds || secs > maxAssumeSeconds {
			return nil, apiErr(codeSTSOverTime,
				fmt.Sprintf("DurationSeconds must be between %d and %d.", minAssumeSeconds, maxAssumeSeconds),
				fmt.Sprintf("DurationSeconds 取值范围为 %d-%d。", minAssumeSeconds, maxAssumeSeconds))
		}
	}
	expiry := s.nowUnix() + int64(secs)
	cred, err := s.issueTemp(expiry)
	if err != nil {
		s.logInternal("issue temporary credential", err)
		return nil, errInternal()
	}
	return &assumeRoleResult{
		Credentials: stsCredentials{Token: cred.Token, TmpSecretID: cred.SecretID, TmpSecretKey: cred.SecretKey},
		ExpiredTime: expiry,
		Expiration:  time.Unix(expiry, 0).UTC().Format(time.RFC3339),
	}, nil
}

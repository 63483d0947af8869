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
	Key   string `param:"Key,required"`
	Value string `param:"Value"`
}

type assumeRoleParams struct {
	RoleArn         string        `param:"RoleArn,required"`
	RoleSessionName string        `param:"RoleSessionName,required"`
	DurationSeconds *uint64       `param:"DurationSeconds"`
	Policy          string        `param:"Policy"`
	ExternalID      string        `param:"ExternalId"`
	Tags            []stsTagParam `param:"Tags"`
	SourceIdentity  string        `param:"SourceIdentity"`
	SerialNumber    string        `param:"SerialNumber"`
	TokenCode       string        `param:"TokenCode"`
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

func actAssumeRole(s *Server, c *call, p *assumeRoleParams) (*assumeRoleResult, *apiError) {
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

package kms

import (
	"context"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	kmsapi "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Key states as the service reports them.
const (
	StateEnabled       = "Enabled"
	StateDisabled      = "Disabled"
	StatePendingDelete = "PendingDelete"
	StatePendingImport = "PendingImport"
	StateArchived      = "Archived"
)

// Key usages (KeyMetadata.KeyUsage / CreateKey KeyUsage).
const (
	UsageEncryptDecrypt         = "ENCRYPT_DECRYPT"
	UsageAsymDecryptRSA2048     = "ASYMMETRIC_DECRYPT_RSA_2048"
	UsageAsymDecryptSM2         = "ASYMMETRIC_DECRYPT_SM2"
	UsageAsymSignVerifySM2      = "ASYMMETRIC_SIGN_VERIFY_SM2"
	UsageAsymSignVerifyECC      = "ASYMMETRIC_SIGN_VERIFY_ECC"
	UsageAsymSignVerifyRSA2048  = "ASYMMETRIC_SIGN_VERIFY_RSA_2048"
	UsageAsymSignVerifyECDSA384 = "ASYMMETRIC_SIGN_VERIFY_ECDSA384"
)

// Key origins (KeyMetadata.Origin).
const (
	OriginKMS      = "TENCENT_KMS" // KMS created the material
	OriginExternal = "EXTERNAL"    // the material is imported (bring your own key)
)

// Key is the metadata of one customer master key (CMK). Times are Unix seconds.
type Key struct {
	KeyID           string
	Alias           string
	Description     string
	KeyState        string
	KeyUsage        string
	Origin          string
	Owner           string
	CreateTime      int64
	RotationEnabled bool
	// RotateDays is the automatic rotation period in days (0 for keys that cannot
	// rotate).
	RotateDays     int64
	NextRotateTime int64
	// LastRotateTime is when the key last rotated (0: never).
	LastRotateTime int64
	DeletionDate   int64
	ValidTo        int64
	ResourceID     string
	CreatorUin     int64
	// ComplianceType is KeyMetadata.Type: 2 = FIPS-compliant, 4 = SM (国密).
	ComplianceType int64
}

// IsAsymmetric reports whether the key is an asymmetric key.
func (k Key) IsAsymmetric() bool { return k.KeyUsage != UsageEncryptDecrypt && k.KeyUsage != "" }

func keyFrom(m *kmsapi.KeyMetadata) Key {
	if m == nil {
		return Key{}
	}
	return Key{
		KeyID:           str(m.KeyId),
		Alias:           str(m.Alias),
		Description:     str(m.Description),
		KeyState:        str(m.KeyState),
		KeyUsage:        str(m.KeyUsage),
		Origin:          str(m.Origin),
		Owner:           str(m.Owner),
		CreateTime:      u64(m.CreateTime),
		RotationEnabled: boolv(m.KeyRotationEnabled),
		RotateDays:      u64(m.RotateDays),
		NextRotateTime:  u64(m.NextRotateTime),
		LastRotateTime:  u64(m.LastRotateTime),
		DeletionDate:    u64(m.DeletionDate),
		ValidTo:         u64(m.ValidTo),
		ResourceID:      str(m.ResourceId),
		CreatorUin:      u64(m.CreatorUin),
		ComplianceType:  i64(m.Type),
	}
}

// ListOptions filters and pages ListKeyDetail. Zero values mean "no filter".
type ListOptions struct {
	Offset int
	// Limit is the page size, 1–200 (0 means the service default of 10).
	Limit int
	// Search is a fuzzy match on KeyId or alias.
	Search string
	// State: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport, 5 Archived.
	State int
	// Usage: "" or "ALL" = every usage (note: the API itself treats an empty KeyUsage as
	// ENCRYPT_DECRYPT only; this wrapper sends ALL for ""), or one KeyUsage value.
	Usage string
	// OrderAscending lists oldest first (the service's default is newest first).
	OrderAscending bool
	// Origin: "", "ALL", "TENCENT_KMS" or "EXTERNAL".
	Origin string
	// Tags keeps keys that carry one of the values of every given tag key.
	Tags map[string][]string
}

// KeyPage is one page of keys and the total number matching.
type KeyPage struct {
	Keys  []Key
	Total int
}

// ListKeys returns one page of keys with their metadata (ListKeyDetail).
func (c *Client) ListKeys(ctx context.Context, o ListOptions) (KeyPage, error) {
	req := kmsapi.NewListKeyDetailRequest()
	req.Offset = common.Uint64Ptr(uint64(max(o.Offset, 0)))
	if o.Limit > 0 {
		req.Limit = common.Uint64Ptr(uint64(o.Limit))
	}
	req.SearchKeyAlias = optional(o.Search)
	if o.State > 0 {
		req.KeyState = common.Uint64Ptr(uint64(o.State))
	}
	usage := o.Usage
	if usage == "" {
		usage = "ALL"
	}
	req.KeyUsage = common.StringPtr(usage)
	if o.OrderAscending {
		req.OrderType = common.Uint64Ptr(1)
	}
	req.Origin = optional(o.Origin)
	for k, vs := range o.Tags {
		req.TagFilters = append(req.TagFilters, &kmsapi.TagFilter{TagKey: common.StringPtr(k), TagValue: common.StringPtrs(vs)})
	}
	resp, err := send(c, ctx, "ListKeyDetail", c.sdk.ListKeyDetailWithContext, req)
	if err != nil {
		return KeyPage{}, err
	}
	page := KeyPage{Total: int(u64(resp.Response.TotalCount)), Keys: make([]Key, 0, len(resp.Response.KeyMetadatas))}
	for _, m := range resp.Response.KeyMetadatas {
		page.Keys = append(page.Keys, keyFrom(m))
	}
	return page, nil
}

// CreateKeyInput describes a new CMK.
type CreateKeyInput struct {
	Alias       string
	Description string
	// Usage is a KeyUsage value; "" means ENCRYPT_DECRYPT.
	Usage string
	Tags  map[string]string
	// External creates a key without material (Origin EXTERNAL, state PendingImport):
	// the material is imported with ImportMaterial.
	External bool
}

// CreateKey creates a CMK and returns its metadata.
func (c *Client) CreateKey(ctx context.Context, in CreateKeyInput) (Key, error) {
	req := kmsapi.NewCreateKeyRequest()
	req.Alias = common.StringPtr(in.Alias)
	req.Description = optional(in.Description)
	req.KeyUsage = optional(in.Usage)
	if in.External {
		req.Type = common.Uint64Ptr(2)
	}
	for k, v := range in.Tags {
		req.Tags = append(req.Tags, &kmsapi.Tag{TagKey: common.StringPtr(k), TagValue: common.StringPtr(v)})
	}
	resp, err := send(c, ctx, "CreateKey", c.sdk.CreateKeyWithContext, req)
	if err != nil {
		return Key{}, err
	}
	// CreateKey answers only part of the metadata; read the rest so the UI shows the
	// same fields as for listed keys.
	return c.DescribeKey(ctx, str(resp.Response.KeyId))
}

// DescribeKey returns the metadata of one key.
func (c *Client) DescribeKey(ctx context.Context, keyID string) (Key, error) {
	req := kmsapi.NewDescribeKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	resp, err := send(c, ctx, "DescribeKey", c.sdk.DescribeKeyWithContext, req)
	if err != nil {
		return Key{}, err
	}
	return keyFrom(resp.Response.KeyMetadata), nil
}

// UpdateAlias renames a key's alias.
func (c *Client) UpdateAlias(ctx context.Context, keyID, alias string) error {
	req := kmsapi.NewUpdateAliasRequest()
	req.KeyId, req.Alias = common.StringPtr(keyID), common.StringPtr(alias)
	_, err := send(c, ctx, "UpdateAlias", c.sdk.UpdateAliasWithContext, req)
	return err
}

// UpdateDescription changes a key's description.
func (c *Client) UpdateDescription(ctx context.Context, keyID, description string) error {
	req := kmsapi.NewUpdateKeyDescriptionRequest()
	req.KeyId, req.Description = common.StringPtr(keyID), common.StringPtr(description)
	_, err := send(c, ctx, "UpdateKeyDescription", c.sdk.UpdateKeyDescriptionWithContext, req)
	return err
}

// EnableKeys enables one key (EnableKey) or several (EnableKeys, ≤100 per call).
func (c *Client) EnableKeys(ctx context.Context, keyIDs ...string) error {
	if len(keyIDs) == 1 {
		req := kmsapi.NewEnableKeyRequest()
		req.KeyId = common.StringPtr(keyIDs[0])
		_, err := send(c, ctx, "EnableKey", c.sdk.EnableKeyWithContext, req)
		return err
	}
	return batches(keyIDs, func(ids []string) error {
		req := kmsapi.NewEnableKeysRequest()
		req.KeyIds = common.StringPtrs(ids)
		_, err := send(c, ctx, "EnableKeys", c.sdk.EnableKeysWithContext, req)
		return err
	})
}

// DisableKeys disables one key (DisableKey) or several (DisableKeys, ≤100 per call).
func (c *Client) DisableKeys(ctx context.Context, keyIDs ...string) error {
	if len(keyIDs) == 1 {
		req := kmsapi.NewDisableKeyRequest()
		req.KeyId = common.StringPtr(keyIDs[0])
		_, err := send(c, ctx, "DisableKey", c.sdk.DisableKeyWithContext, req)
		return err
	}
	return batches(keyIDs, func(ids []string) error {
		req := kmsapi.NewDisableKeysRequest()
		req.KeyIds = common.StringPtrs(ids)
		_, err := send(c, ctx, "DisableKeys", c.sdk.DisableKeysWithContext, req)
		return err
	})
}

// maxBatch is the service's limit of KeyIds per batch call.
const maxBatch = 100

func batches(ids []string, do func([]string) error) error {
	if len(ids) == 0 {
		return newError(CodeInvalidInput, "", "no keys given", nil)
	}
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		if err := do(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// ScheduleDeletion schedules a (disabled) key for deletion after days (7–30) and returns
// the deletion date (Unix seconds).
func (c *Client) ScheduleDeletion(ctx context.Context, keyID string, days int) (int64, error) {
	req := kmsapi.NewScheduleKeyDeletionRequest()
	req.KeyId = common.StringPtr(keyID)
	req.PendingWindowInDays = common.Uint64Ptr(uint64(max(days, 0)))
	resp, err := send(c, ctx, "ScheduleKeyDeletion", c.sdk.ScheduleKeyDeletionWithContext, req)
	if err != nil {
		return 0, err
	}
	return u64(resp.Response.DeletionDate), nil
}

// CancelDeletion cancels a scheduled deletion; the key returns to Disabled.
func (c *Client) CancelDeletion(ctx context.Context, keyID string) error {
	req := kmsapi.NewCancelKeyDeletionRequest()
	req.KeyId = common.StringPtr(keyID)
	_, err := send(c, ctx, "CancelKeyDeletion", c.sdk.CancelKeyDeletionWithContext, req)
	return err
}

// SetRotation turns automatic rotation on (every rotateDays, 7–365; 0 = service
// default of 365) or off.
func (c *Client) SetRotation(ctx context.Context, keyID string, enabled bool, rotateDays int) error {
	if !enabled {
		req := kmsapi.NewDisableKeyRotationRequest()
		req.KeyId = common.StringPtr(keyID)
		_, err := send(c, ctx, "DisableKeyRotation", c.sdk.DisableKeyRotationWithContext, req)
		return err
	}
	req := kmsapi.NewEnableKeyRotationRequest()
	req.KeyId = common.StringPtr(keyID)
	if rotateDays > 0 {
		req.RotateDays = common.Uint64Ptr(uint64(rotateDays))
	}
	_, err := send(c, ctx, "EnableKeyRotation", c.sdk.EnableKeyRotationWithContext, req)
	return err
}

// RotateKey rotates a symmetric key's material now (RotateKey): new encryptions use
// the new version, data encrypted before still decrypts. The service refuses keys
// without automatic rotation (UnsupportedOperation.RotateNotSupported) and a second
// rotation within 24 hours (RequestLimitExceeded.RotateRateLimited). It returns the
// service's task id; DescribeKey's LastRotateTime shows when the rotation is done.
func (c *Client) RotateKey(ctx context.Context, keyID string) (string, error) {
	req := kmsapi.NewRotateKeyRequest()
	req.KeyId = common.StringPtr(keyID)
	resp, err := send(c, ctx, "RotateKey", c.sdk.RotateKeyWithContext, req)
	if err != nil {
		return "", err
	}
	return str(resp.Response.TaskId), nil
}

// SetArchived archives a key (it can then only decrypt) or cancels the archive.
func (c *Client) SetArchived(ctx context.Context, keyID string, archived bool) error {
	if archived {
		req := kmsapi.NewArchiveKeyRequest()
		req.KeyId = common.StringPtr(keyID)
		_, err := send(c, ctx, "ArchiveKey", c.sdk.ArchiveKeyWithContext, req)
		return err
	}
	req := kmsapi.NewCancelKeyArchiveRequest()
	req.KeyId = common.StringPtr(keyID)
	_, err := send(c, ctx, "CancelKeyArchive", c.sdk.CancelKeyArchiveWithContext, req)
	return err
}

// Algorithm is one (KeyUsage, Algorithm) pair offered in the region.
type Algorithm struct {
	KeyUsage  string
	Algorithm string
}

// Algorithms lists what the region offers (ListAlgorithms).
type Algorithms struct {
	Symmetric   []Algorithm
	AsymDecrypt []Algorithm
	AsymSign    []Algorithm
}

// AlgorithmSM4 is the symmetric algorithm of national-standard (国密) regions.
const AlgorithmSM4 = "SM4"

// NationalStandard reports whether the region is a national-standard (国密) one:
// its symmetric keys are SM4 (and imported material is 128-bit).
func (a Algorithms) NationalStandard() bool {
	for _, s := range a.Symmetric {
		if s.Algorithm == AlgorithmSM4 {
			return true
		}
	}
	return false
}

// ListAlgorithms returns the key usages and algorithms the region offers.
func (c *Client) ListAlgorithms(ctx context.Context) (Algorithms, error) {
	resp, err := send(c, ctx, "ListAlgorithms", c.sdk.ListAlgorithmsWithContext, kmsapi.NewListAlgorithmsRequest())
	if err != nil {
		return Algorithms{}, err
	}
	conv := func(in []*kmsapi.AlgorithmInfo) []Algorithm {
		out := make([]Algorithm, 0, len(in))
		for _, a := range in {
			if a != nil {
				out = append(out, Algorithm{KeyUsage: str(a.KeyUsage), Algorithm: str(a.Algorithm)})
			}
		}
		return out
	}
	r := resp.Response
	return Algorithms{
		Symmetric:   conv(r.SymmetricAlgorithms),
		AsymDecrypt: conv(r.AsymmetricAlgorithms),
		AsymSign:    conv(r.AsymmetricSignVerifyAlgorithms),
	}, nil
}

// Regions returns the regions that offer KMS (GetRegions).
func (c *Client) Regions(ctx context.Context) ([]string, error) {
	resp, err := send(c, ctx, "GetRegions", c.sdk.GetRegionsWithContext, kmsapi.NewGetRegionsRequest())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.Response.Regions))
	for _, r := range resp.Response.Regions {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// ServiceStatus is the answer of GetServiceStatus.
type ServiceStatus struct {
	Enabled bool
	// InvalidType: 0 not purchased, 1 normal, 2 suspended for arrears, 3 released.
	InvalidType int64
	// UserLevel: 0 standard, 1 ultimate (旗舰版).
	UserLevel int64
	// CmkUserCount is the number of keys in the region, CmkLimit the quota.
	CmkUserCount int64
	CmkLimit     int64
}

// ServiceStatus reports whether KMS is enabled for the account (GetServiceStatus).
func (c *Client) ServiceStatus(ctx context.Context) (ServiceStatus, error) {
	resp, err := send(c, ctx, "GetServiceStatus", c.sdk.GetServiceStatusWithContext, kmsapi.NewGetServiceStatusRequest())
	if err != nil {
		return ServiceStatus{}, err
	}
	r := resp.Response
	return ServiceStatus{Enabled: boolv(r.ServiceEnabled), InvalidType: i64(r.InvalidType), UserLevel: u64(r.UserLevel),
		CmkUserCount: u64(r.CmkUserCount), CmkLimit: u64(r.CmkLimit)}, nil
}

// optional is s for an optional request field: nil (the field is left out) when "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func u64(p *uint64) int64 {
	if p == nil {
		return 0
	}
	return int64(*p)
}

func i64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func boolv(p *bool) bool { return p != nil && *p }

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
	UsageEncryptDecrypt        = "ENCRYPT_DECRYPT"
	UsageAsymDecryptRSA2048    = "ASYMMETRIC_DECRYPT_RSA_2048"
	UsageAsymDecryptSM2        = "ASYMMETRIC_DECRYPT_SM2"
	UsageAsymSignVerifySM2     = "ASYMMETRIC_SIGN_VERIFY_SM2"
	UsageAsymSignVerifyECC     = "ASYMMETRIC_SIGN_VERIFY_ECC"
	UsageAsymSignVerifyRSA2048 = "ASYMMETRIC_SIGN_VERIFY_RSA_2048"
)

// Key is the metadata of one customer master key (CMK). Times are Unix seconds.
type Key struct {
	KeyID           string `json:"keyId"`
	Alias           string `json:"alias"`
	Description     string `json:"description"`
	KeyState        string `json:"keyState"`
	KeyUsage        string `json:"keyUsage"`
	Origin          string `json:"origin"`
	Owner           string `json:"owner"`
	CreateTime      int64  `json:"createTime"`
	RotationEnabled bool   `json:"rotationEnabled"`
	NextRotateTime  int64  `json:"nextRotateTime"`
	DeletionDate    int64  `json:"deletionDate"`
	ValidTo         int64  `json:"validTo"`
	ResourceID      string `json:"resourceId"`
	CreatorUin      int64  `json:"creatorUin"`
	// ComplianceType is KeyMetadata.Type: 2 = FIPS-compliant, 4 = SM (国密).
	ComplianceType int64 `json:"complianceType"`
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
		NextRotateTime:  u64(m.NextRotateTime),
		DeletionDate:    u64(m.DeletionDate),
		ValidTo:         u64(m.ValidTo),
		ResourceID:      str(m.ResourceId),
		CreatorUin:      u64(m.CreatorUin),
		ComplianceType:  i64(m.Type),
	}
}

// ListOptions filters and pages ListKeyDetail. Zero values mean "no filter".
type ListOptions struct {
	Offset int `json:"offset"`
	// Limit is the page size, 1–200 (0 means the service default of 10).
	Limit int `json:"limit"`
	// Search is a fuzzy match on KeyId or alias.
	Search string `json:"search"`
	// State: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport, 5 Archived.
	State int `json:"state"`
	// Usage: "" or "ALL" = every usage (note: the API itself treats an empty KeyUsage as
	// ENCRYPT_DECRYPT only; this wrapper sends ALL for ""), or one KeyUsage value.
	Usage string `json:"usage"`
	// OrderAscending lists oldest first (the service's default is newest first).
	OrderAscending bool `json:"orderAscending"`
	// Origin: "", "ALL", "TENCENT_KMS" or "EXTERNAL".
	Origin string `json:"origin"`
	// Tags keeps keys that carry one of the values of every given tag key.
	Tags map[string][]string `json:"tags"`
}

// KeyPage is one page of keys and the total number matching.
type KeyPage struct {
	Keys  []Key `json:"keys"`
	Total int   `json:"total"`
}

// ListKeys returns one page of keys with their metadata (ListKeyDetail).
func (c *Client) ListKeys(ctx context.Context, o ListOptions) (KeyPage, error) {
	req := kmsapi.NewListKeyDetailRequest()
	req.Offset = common.Uint64Ptr(uint64(max(o.Offset, 0)))
	if o.Limit > 0 {
		req.Limit = common.Uint64Ptr(uint64(o.Limit))
	}
	if o.Search != "" {
		req.SearchKeyAlias = common.StringPtr(o.Search)
	}
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
	if o.Origin != "" {
		req.Origin = common.StringPtr(o.Origin)
	}
	for k, vs := range o.Tags {
		req.TagFilters = append(req.TagFilters, &kmsapi.TagFilter{TagKey: common.StringPtr(k), TagValue: common.StringPtrs(vs)})
	}
	var resp *kmsapi.ListKeyDetailResponse
	err := c.call(ctx, "ListKeyDetail", func(ctx context.Context) (err error) {
		resp, err = c.sdk.ListKeyDetailWithContext(ctx, req)
		return err
	})
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
	Alias       string `json:"alias"`
	Description string `json:"description"`
	// Usage is a KeyUsage value; "" means ENCRYPT_DECRYPT.
	Usage string            `json:"usage"`
	Tags  map[string]string `json:"tags"`
}

// CreateKey creates a CMK and returns its metadata.
func (c *Client) CreateKey(ctx context.Context, in CreateKeyInput) (Key, error) {
	req := kmsapi.NewCreateKeyRequest()
	req.Alias = common.StringPtr(in.Alias)
	if in.Description != "" {
		req.Description = common.StringPtr(in.Description)
	}
	if in.Usage != "" {
		req.KeyUsage = common.StringPtr(in.Usage)
	}
	for k, v := range in.Tags {
		req.Tags = append(req.Tags, &kmsapi.Tag{TagKey: common.StringPtr(k), TagValue: common.StringPtr(v)})
	}
	var resp *kmsapi.CreateKeyResponse
	err := c.call(ctx, "CreateKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.CreateKeyWithContext(ctx, req)
		return err
	})
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
	var resp *kmsapi.DescribeKeyResponse
	err := c.call(ctx, "DescribeKey", func(ctx context.Context) (err error) {
		resp, err = c.sdk.DescribeKeyWithContext(ctx, req)
		return err
	})
	if err != nil {
		return Key{}, err
	}
	return keyFrom(resp.Response.KeyMetadata), nil
}

// UpdateAlias renames a key's alias.
func (c *Client) UpdateAlias(ctx context.Context, keyID, alias string) error {
	req := kmsapi.NewUpdateAliasRequest()
	req.KeyId, req.Alias = common.StringPtr(keyID), common.StringPtr(alias)
	return c.call(ctx, "UpdateAlias", func(ctx context.Context) error {
		_, err := c.sdk.UpdateAliasWithContext(ctx, req)
		return err
	})
}

// UpdateDescription changes a key's description.
func (c *Client) UpdateDescription(ctx context.Context, keyID, description string) error {
	req := kmsapi.NewUpdateKeyDescriptionRequest()
	req.KeyId, req.Description = common.StringPtr(keyID), common.StringPtr(description)
	return c.call(ctx, "UpdateKeyDescription", func(ctx context.Context) error {
		_, err := c.sdk.UpdateKeyDescriptionWithContext(ctx, req)
		return err
	})
}

// EnableKeys enables one key (EnableKey) or several (EnableKeys, ≤100 per call).
func (c *Client) EnableKeys(ctx context.Context, keyIDs ...string) error {
	if len(keyIDs) == 1 {
		req := kmsapi.NewEnableKeyRequest()
		req.KeyId = common.StringPtr(keyIDs[0])
		return c.call(ctx, "EnableKey", func(ctx context.Context) error {
			_, err := c.sdk.EnableKeyWithContext(ctx, req)
			return err
		})
	}
	return batches(keyIDs, func(ids []string) error {
		req := kmsapi.NewEnableKeysRequest()
		req.KeyIds = common.StringPtrs(ids)
		return c.call(ctx, "EnableKeys", func(ctx context.Context) error {
			_, err := c.sdk.EnableKeysWithContext(ctx, req)
			return err
		})
	})
}

// DisableKeys disables one key (DisableKey) or several (DisableKeys, ≤100 per call).
func (c *Client) DisableKeys(ctx context.Context, keyIDs ...string) error {
	if len(keyIDs) == 1 {
		req := kmsapi.NewDisableKeyRequest()
		req.KeyId = common.StringPtr(keyIDs[0])
		return c.call(ctx, "DisableKey", func(ctx context.Context) error {
			_, err := c.sdk.DisableKeyWithContext(ctx, req)
			return err
		})
	}
	return batches(keyIDs, func(ids []string) error {
		req := kmsapi.NewDisableKeysRequest()
		req.KeyIds = common.StringPtrs(ids)
		return c.call(ctx, "DisableKeys", func(ctx context.Context) error {
			_, err := c.sdk.DisableKeysWithContext(ctx, req)
			return err
		})
	})
}

// maxBatch is the service's limit of KeyIds per batch call.
const maxBatch = 100

func batches(ids []string, do func([]string) error) error {
	if len(ids) == 0 {
		return &Error{Code: CodeInvalidInput, Message: "no keys given"}
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
	var resp *kmsapi.ScheduleKeyDeletionResponse
	err := c.call(ctx, "ScheduleKeyDeletion", func(ctx context.Context) (err error) {
		resp, err = c.sdk.ScheduleKeyDeletionWithContext(ctx, req)
		return err
	})
	if err != nil {
		return 0, err
	}
	return u64(resp.Response.DeletionDate), nil
}

// CancelDeletion cancels a scheduled deletion; the key returns to Disabled.
func (c *Client) CancelDeletion(ctx context.Context, keyID string) error {
	req := kmsapi.NewCancelKeyDeletionRequest()
	req.KeyId = common.StringPtr(keyID)
	return c.call(ctx, "CancelKeyDeletion", func(ctx context.Context) error {
		_, err := c.sdk.CancelKeyDeletionWithContext(ctx, req)
		return err
	})
}

// SetRotation turns automatic rotation on (every rotateDays, 7–365; 0 = service
// default of 365) or off.
func (c *Client) SetRotation(ctx context.Context, keyID string, enabled bool, rotateDays int) error {
	if !enabled {
		req := kmsapi.NewDisableKeyRotationRequest()
		req.KeyId = common.StringPtr(keyID)
		return c.call(ctx, "DisableKeyRotation", func(ctx context.Context) error {
			_, err := c.sdk.DisableKeyRotationWithContext(ctx, req)
			return err
		})
	}
	req := kmsapi.NewEnableKeyRotationRequest()
	req.KeyId = common.StringPtr(keyID)
	if rotateDays > 0 {
		req.RotateDays = common.Uint64Ptr(uint64(rotateDays))
	}
	return c.call(ctx, "EnableKeyRotation", func(ctx context.Context) error {
		_, err := c.sdk.EnableKeyRotationWithContext(ctx, req)
		return err
	})
}

// SetArchived archives a key (it can then only decrypt) or cancels the archive.
func (c *Client) SetArchived(ctx context.Context, keyID string, archived bool) error {
	if archived {
		req := kmsapi.NewArchiveKeyRequest()
		req.KeyId = common.StringPtr(keyID)
		return c.call(ctx, "ArchiveKey", func(ctx context.Context) error {
			_, err := c.sdk.ArchiveKeyWithContext(ctx, req)
			return err
		})
	}
	req := kmsapi.NewCancelKeyArchiveRequest()
	req.KeyId = common.StringPtr(keyID)
	return c.call(ctx, "CancelKeyArchive", func(ctx context.Context) error {
		_, err := c.sdk.CancelKeyArchiveWithContext(ctx, req)
		return err
	})
}

// Algorithm is one (KeyUsage, Algorithm) pair offered in the region.
type Algorithm struct {
	KeyUsage  string `json:"keyUsage"`
	Algorithm string `json:"algorithm"`
}

// Algorithms lists what the region offers (ListAlgorithms).
type Algorithms struct {
	Symmetric   []Algorithm `json:"symmetric"`
	AsymDecrypt []Algorithm `json:"asymmetricDecrypt"`
	AsymSign    []Algorithm `json:"asymmetricSign"`
}

// ListAlgorithms returns the key usages and algorithms the region offers.
func (c *Client) ListAlgorithms(ctx context.Context) (Algorithms, error) {
	var resp *kmsapi.ListAlgorithmsResponse
	err := c.call(ctx, "ListAlgorithms", func(ctx context.Context) (err error) {
		resp, err = c.sdk.ListAlgorithmsWithContext(ctx, kmsapi.NewListAlgorithmsRequest())
		return err
	})
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
	var resp *kmsapi.GetRegionsResponse
	err := c.call(ctx, "GetRegions", func(ctx context.Context) (err error) {
		resp, err = c.sdk.GetRegionsWithContext(ctx, kmsapi.NewGetRegionsRequest())
		return err
	})
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
	Enabled bool `json:"enabled"`
	// InvalidType: 0 not purchased, 1 normal, 2 suspended for arrears, 3 released.
	InvalidType int64 `json:"invalidType"`
	// UserLevel: 0 standard, 1 ultimate (旗舰版).
	UserLevel int64 `json:"userLevel"`
}

// ServiceStatus reports whether KMS is enabled for the account (GetServiceStatus).
func (c *Client) ServiceStatus(ctx context.Context) (ServiceStatus, error) {
	var resp *kmsapi.GetServiceStatusResponse
	err := c.call(ctx, "GetServiceStatus", func(ctx context.Context) (err error) {
		resp, err = c.sdk.GetServiceStatusWithContext(ctx, kmsapi.NewGetServiceStatusRequest())
		return err
	})
	if err != nil {
		return ServiceStatus{}, err
	}
	r := resp.Response
	return ServiceStatus{Enabled: boolv(r.ServiceEnabled), InvalidType: i64(r.InvalidType), UserLevel: u64(r.UserLevel)}, nil
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

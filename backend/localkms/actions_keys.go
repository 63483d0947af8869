package localkms

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Key lifecycle and metadata actions.

type tagParam struct {
	TagKey   string `param:"TagKey,required"`
	TagValue string `param:"TagValue,required"`
}

type tagFilterParam struct {
	TagKey   string   `param:"TagKey,required"`
	TagValue []string `param:"TagValue"`
}

// empty is the parameters of an action that takes none, and the result of one
// that answers nothing but its RequestId (such an action returns a nil result).
type empty struct{}

type keyIDParams struct {
	KeyID string `param:"KeyId,required"`
}

type keyIDsParams struct {
	KeyIDs []string `param:"KeyIds,required"`
}

// ---- CreateKey ---------------------------------------------------------------

type createKeyParams struct {
	Alias        string     `param:"Alias,required"`
	Description  string     `param:"Description"`
	KeyUsage     string     `param:"KeyUsage"`
	Type         *uint64    `param:"Type"`
	Tags         []tagParam `param:"Tags"`
	HsmClusterID string     `param:"HsmClusterId"`
}

type createKeyResult struct {
	KeyID        string `json:"KeyId"`
	Alias        string `json:"Alias"`
	CreateTime   int64  `json:"CreateTime"`
	Description  string `json:"Description"`
	KeyState     string `json:"KeyState"`
	KeyUsage     string `json:"KeyUsage"`
	TagCode      uint64 `json:"TagCode"`
	TagMsg       string `json:"TagMsg"`
	HsmClusterID string `json:"HsmClusterId"`
}

// validateDescription checks the documented length, and refuses control
// characters (C0, DEL, C1) and invalid UTF-8, which the documentation does not
// mention: they would reach the terminals and logs that show the description.
func validateDescription(d string) *apiError {
	if len(d) > maxDescriptionBytes {
		return errInvalidValue("Description", fmt.Sprintf("must be at most %d bytes", maxDescriptionBytes), fmt.Sprintf("不能超过 %d 字节", maxDescriptionBytes))
	}
	if strings.ContainsFunc(d, isControl) || !utf8.ValidString(d) {
		return errInvalidValue("Description", "must not contain control characters", "不能包含控制字符")
	}
	return nil
}

func validateTags(tags []tagParam) ([]tagRecord, *apiError) {
	if len(tags) > maxTags {
		return nil, errInvalidValue("Tags", fmt.Sprintf("at most %d tags are allowed", maxTags), fmt.Sprintf("最多 %d 个标签", maxTags))
	}
	seen := make(map[string]bool, len(tags))
	out := make([]tagRecord, 0, len(tags))
	for _, t := range tags {
		if utf8.RuneCountInString(t.TagKey) > maxTagKeyLen || utf8.RuneCountInString(t.TagValue) > maxTagValueLen {
			return nil, errInvalidValue("Tags", "a tag key is at most 127 and a value at most 255 characters", "标签键最长 127 个字符，标签值最长 255 个字符")
		}
		if seen[t.TagKey] {
			return nil, apiErr(codeTagKeysDuplicated,
				fmt.Sprintf("The tag key %q appears more than once.", t.TagKey),
				fmt.Sprintf("标签键 %q 重复。", t.TagKey))
		}
		seen[t.TagKey] = true
		out = append(out, tagRecord{Key: t.TagKey, Value: t.TagValue})
	}
	return out, nil
}

func errHsmCluster() *apiError {
	return apiErr(codeInvalidHsmClusterID, "The local KMS has no HSM clusters; HsmClusterId must be empty.", "本地 KMS 没有 HSM 集群，HsmClusterId 必须为空。")
}

// keySpec is what CreateKey and Seed need to create a key.
type keySpec struct {
	region      string
	alias       string
	description string
	usage       string
	origin      string
	tags        []tagRecord
	state       string
	rotation    bool
	rotateDays  uint64
}

// keyCount is the number of keys in region, in every state (keys pending
// deletion count until they are purged).
func (s *Server) keyCount(region string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, k := range s.keys {
		if k.rec.Region == region {
			n++
		}
	}
	return n
}

// createKey generates material, checks the alias and the quota and commits a
// new key. Symmetric keys get the spec of their region.
func (s *Server) createKey(sp keySpec) (*key, *apiError) {
	var versions []keyVersion
	now := s.nowUnix()
	spec := ""
	if isSymmetric(sp.usage) {
		spec = s.symmetricSpec(sp.region)
	}
	if sp.origin == originTencent {
		mat, err := generateMaterial(sp.usage, spec)
		if err != nil {
			s.logInternal("generate key material", err)
			return nil, errInternal()
		}
		versions = []keyVersion{{Version: 1, Material: mat, Created: now}}
	}
	if e := s.lockForWrite(now); e != nil {
		return nil, e
	}
	defer s.writeMu.Unlock()
	if _, taken := s.aliasKeyID(sp.region, sp.alias); taken {
		return nil, errAliasExists(sp.alias)
	}
	if s.keyCount(sp.region) >= s.cmkLimit {
		return nil, apiErr(codeCmkLimitExceeded,
			fmt.Sprintf("The region already holds %d CMKs, the most allowed.", s.cmkLimit),
			fmt.Sprintf("该地域的 CMK 数量已达上限 %d 个。", s.cmkLimit))
	}
	s.seq++
	rotateDays := sp.rotateDays
	if rotateDays == 0 {
		rotateDays = defaultRotateDays
	}
	r := &keyRecord{
		KeyID:           uuid.NewString(),
		Region:          sp.region,
		Alias:           sp.alias,
		Description:     sp.description,
		State:           sp.state,
		Usage:           sp.usage,
		Spec:            spec,
		Origin:          sp.origin,
		Seq:             s.seq,
		CreateTime:      now,
		RotationEnabled: sp.rotation,
		RotateDays:      rotateDays,
		NextRotateTime:  now + int64(rotateDays)*secondsPerDay,
		Tags:            sp.tags,
		Versions:        versions,
	}
	if sp.origin == originExternal {
		r.State = statePendingImport
	}
	k, err := s.commitKey(r)
	if err != nil {
		s.logInternal("create key", err)
		return nil, errInternal()
	}
	return k, nil
}

func errAliasExists(alias string) *apiError {
	return apiErr(codeAliasAlreadyExists,
		fmt.Sprintf("The alias %q is already used by another CMK in this region.", alias),
		fmt.Sprintf("别名 %q 在该地域已被其他 CMK 使用。", alias))
}

func actCreateKey(s *Server, c *call, p *createKeyParams) (*createKeyResult, *apiError) {
	if e := validateAlias(p.Alias); e != nil {
		return nil, e
	}
	if e := validateDescription(p.Description); e != nil {
		return nil, e
	}
	usage := p.KeyUsage
	if usage == "" {
		usage = usageEncryptDecrypt
	}
	if !knownUsage(usage) {
		return nil, apiErr(codeInvalidKeyUsage, fmt.Sprintf("The KeyUsage %q is invalid.", truncate(usage, 64)), fmt.Sprintf("KeyUsage %q 不合法。", truncate(usage, 64)))
	}
	if !s.offers(c.region, usage) {
		return nil, errUsageNotOffered(usage)
	}
	origin := originTencent
	if p.Type != nil {
		switch *p.Type {
		case 1:
		case 2:
			origin = originExternal
			if usage != usageEncryptDecrypt {
				return nil, apiErr(codeInvalidKeyUsage, "Imported (EXTERNAL) keys must have KeyUsage ENCRYPT_DECRYPT.", "导入类型（EXTERNAL）的密钥只支持 ENCRYPT_DECRYPT 用途。")
			}
		default:
			return nil, apiErr(codeInvalidType, "Type must be 1 (KMS-generated) or 2 (EXTERNAL).", "Type 取值必须为 1（KMS 创建）或 2（EXTERNAL）。")
		}
	}
	tags, e := validateTags(p.Tags)
	if e != nil {
		return nil, e
	}
	if p.HsmClusterID != "" {
		return nil, errHsmCluster()
	}
	k, e := s.createKey(keySpec{region: c.region, alias: p.Alias, description: p.Description, usage: usage, origin: origin, tags: tags, state: stateEnabled})
	if e != nil {
		return nil, e
	}
	return &createKeyResult{
		KeyID: k.rec.KeyID, Alias: k.rec.Alias, CreateTime: k.rec.CreateTime, Description: k.rec.Description,
		KeyState: k.rec.State, KeyUsage: k.rec.Usage,
	}, nil
}

// ---- Describe / List -----------------------------------------------------------

type describeKeyResult struct {
	KeyMetadata keyMetadata `json:"KeyMetadata"`
}

func actDescribeKey(s *Server, c *call, p *keyIDParams) (*describeKeyResult, *apiError) {
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	return &describeKeyResult{KeyMetadata: s.metadata(k)}, nil
}

// checkKeyIDs validates a batch of KeyIds: count, format and duplicates.
func checkKeyIDs(ids []string) *apiError {
	if len(ids) > maxBatchKeyIDs {
		return errInvalidParam("KeyIds", fmt.Sprintf("at most %d KeyIds are allowed", maxBatchKeyIDs), fmt.Sprintf("最多 %d 个 KeyId", maxBatchKeyIDs))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validKeyID(id) {
			return errInvalidKeyID(id)
		}
		if seen[id] {
			return apiErr(codeDuplicatedKeyID, fmt.Sprintf("The KeyId %s appears more than once.", id), fmt.Sprintf("KeyId %s 重复。", id))
		}
		seen[id] = true
	}
	return nil
}

type describeKeysResult struct {
	KeyMetadatas []keyMetadata `json:"KeyMetadatas"`
}

func actDescribeKeys(s *Server, c *call, p *keyIDsParams) (*describeKeysResult, *apiError) {
	if e := checkKeyIDs(p.KeyIDs); e != nil {
		return nil, e
	}
	out := make([]keyMetadata, 0, len(p.KeyIDs))
	for _, id := range p.KeyIDs {
		k, e := s.findKey(c.region, id)
		if e != nil {
			return nil, e
		}
		out = append(out, s.metadata(k))
	}
	return &describeKeysResult{KeyMetadatas: out}, nil
}

const (
	defaultListLimit = 10  // keys per page
	maxListLimit     = 200 // keys per page
)

func pageBounds(offset, limit *uint64, total int) (int, int, *apiError) {
	lim := uint64(defaultListLimit)
	if limit != nil && *limit != 0 {
		lim = *limit
	}
	if lim > maxListLimit {
		return 0, 0, errInvalidParam("Limit", fmt.Sprintf("must be at most %d", maxListLimit), fmt.Sprintf("不能超过 %d", maxListLimit))
	}
	off := uint64(0)
	if offset != nil {
		off = *offset
	}
	if off >= uint64(total) {
		return total, total, nil
	}
	end := min(off+lim, uint64(total))
	return int(off), int(end), nil
}

type listKeysParams struct {
	Offset       *uint64 `param:"Offset"`
	Limit        *uint64 `param:"Limit"`
	Role         *uint64 `param:"Role"`
	HsmClusterID string  `param:"HsmClusterId"`
}

type keyRef struct {
	KeyID string `json:"KeyId"`
}

type listKeysResult struct {
	Keys       []keyRef `json:"Keys"`
	TotalCount uint64   `json:"TotalCount"`
}

func checkRole(role *uint64) *apiError {
	if role != nil && *role > 1 {
		return errInvalidParam("Role", "must be 0 (user-created) or 1 (created by cloud products)", "取值必须为 0（用户创建）或 1（云产品创建）")
	}
	return nil
}

// lockForWrite takes s.writeMu for a state change and first applies due
// deletions. On success the caller must unlock s.writeMu.
func (s *Server) lockForWrite(now int64) *apiError {
	s.writeMu.Lock()
	if s.closed.Load() {
		s.writeMu.Unlock()
		return errInternal()
	}
	if err := s.sweepLocked(now); err != nil {
		s.writeMu.Unlock()
		s.logInternal("sweep keys", err)
		return errInternal()
	}
	return nil
}

// sweep applies due deletions (before a listing).
func (s *Server) sweep() *apiError {
	if e := s.lockForWrite(s.nowUnix()); e != nil {
		return e
	}
	s.writeMu.Unlock()
	return nil
}

func actListKeys(s *Server, c *call, p *listKeysParams) (*listKeysResult, *apiError) {
	if e := checkRole(p.Role); e != nil {
		return nil, e
	}
	if p.HsmClusterID != "" {
		return nil, errHsmCluster()
	}
	if e := s.sweep(); e != nil {
		return nil, e
	}
	var keys []*key
	if p.Role == nil || *p.Role == 0 {
		for _, k := range s.keysInRegion(c.region) {
			switch k.rec.State {
			case stateEnabled, stateDisabled, statePendingImport:
				keys = append(keys, k)
			}
		}
	}
	from, to, e := pageBounds(p.Offset, p.Limit, len(keys))
	if e != nil {
		return nil, e
	}
	out := make([]keyRef, 0, to-from)
	for _, k := range keys[from:to] {
		out = append(out, keyRef{KeyID: k.rec.KeyID})
	}
	return &listKeysResult{Keys: out, TotalCount: uint64(len(keys))}, nil
}

type listKeyDetailParams struct {
	Offset         *uint64          `param:"Offset"`
	Limit          *uint64          `param:"Limit"`
	Role           *uint64          `param:"Role"`
	OrderType      *uint64          `param:"OrderType"`
	KeyState       *uint64          `param:"KeyState"`
	SearchKeyAlias string           `param:"SearchKeyAlias"`
	Origin         string           `param:"Origin"`
	KeyUsage       string           `param:"KeyUsage"`
	TagFilters     []tagFilterParam `param:"TagFilters"`
	HsmClusterID   string           `param:"HsmClusterId"`
}

type listKeyDetailResult struct {
	TotalCount   uint64        `json:"TotalCount"`
	KeyMetadatas []keyMetadata `json:"KeyMetadatas"`
}

var keyStateFilter = []string{"", stateEnabled, stateDisabled, statePendingDelete, statePendingImport, stateArchived}

func matchesTags(tags []tagRecord, filters []tagFilterParam) bool {
	for _, f := range filters {
		i := slices.IndexFunc(tags, func(t tagRecord) bool { return t.Key == f.TagKey })
		if i < 0 {
			return false
		}
		if len(f.TagValue) > 0 && !slices.Contains(f.TagValue, tags[i].Value) {
			return false
		}
	}
	return true
}

func actListKeyDetail(s *Server, c *call, p *listKeyDetailParams) (*listKeyDetailResult, *apiError) {
	if e := checkRole(p.Role); e != nil {
		return nil, e
	}
	if p.OrderType != nil && *p.OrderType > 1 {
		return nil, errInvalidParam("OrderType", "must be 0 (newest first) or 1 (oldest first)", "取值必须为 0（降序）或 1（升序）")
	}
	if p.KeyState != nil && *p.KeyState >= uint64(len(keyStateFilter)) {
		return nil, errInvalidParam("KeyState", "must be 0-5", "取值范围为 0-5")
	}
	switch p.Origin {
	case "", "ALL", originTencent, originExternal:
	default:
		return nil, errInvalidParam("Origin", "must be TENCENT_KMS, EXTERNAL or ALL", "取值必须为 TENCENT_KMS、EXTERNAL 或 ALL")
	}
	usage := p.KeyUsage
	if usage == "" {
		usage = usageEncryptDecrypt
	}
	if usage != "ALL" && !knownUsage(usage) {
		return nil, errInvalidParam("KeyUsage", "is not a valid key usage", "不是合法的密钥用途")
	}
	if p.HsmClusterID != "" {
		return nil, errHsmCluster()
	}
	if e := s.sweep(); e != nil {
		return nil, e
	}
	search := strings.ToLower(p.SearchKeyAlias)
	var keys []*key
	if p.Role == nil || *p.Role == 0 {
		for _, k := range s.keysInRegion(c.region) {
			r := &k.rec
			if p.KeyState != nil && *p.KeyState != 0 && r.State != keyStateFilter[*p.KeyState] {
				continue
			}
			if search != "" && !strings.Contains(strings.ToLower(r.Alias), search) && !strings.Contains(r.KeyID, search) {
				continue
			}
			if (p.Origin == originTencent || p.Origin == originExternal) && r.Origin != p.Origin {
				continue
			}
			if usage != "ALL" && r.Usage != usage {
				continue
			}
			if !matchesTags(r.Tags, p.TagFilters) {
				continue
			}
			keys = append(keys, k)
		}
	}
	if p.OrderType != nil && *p.OrderType == 1 {
		slices.Reverse(keys)
	}
	from, to, e := pageBounds(p.Offset, p.Limit, len(keys))
	if e != nil {
		return nil, e
	}
	out := make([]keyMetadata, 0, to-from)
	for _, k := range keys[from:to] {
		out = append(out, s.metadata(k))
	}
	return &listKeyDetailResult{TotalCount: uint64(len(keys)), KeyMetadatas: out}, nil
}

// ---- mutations -----------------------------------------------------------------

// mutate runs fn on a copy of the record of every key in ids, under the write
// lock, and commits the changed records in one transaction: all or nothing. fn
// returns nil to commit, or an API error to abort; it may set *skip to leave its
// key as it is (an idempotent no-op).
func (s *Server) mutate(region string, ids []string, fn func(r *keyRecord, skip *bool) *apiError) *apiError {
	if e := s.lockForWrite(s.nowUnix()); e != nil {
		return e
	}
	defer s.writeMu.Unlock()
	var changed []*keyRecord
	for _, id := range ids {
		k, e := s.findKeyLocked(region, id)
		if e != nil {
			return e
		}
		r := k.rec.copy()
		skip := false
		if e := fn(&r, &skip); e != nil {
			return e
		}
		if !skip {
			changed = append(changed, &r)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if err := s.commitKeys(changed); err != nil {
		s.logInternal("update keys", err)
		return errInternal()
	}
	return nil
}

// mutateKey is mutate for the key of a KeyId parameter.
func (s *Server) mutateKey(c *call, id string, fn func(r *keyRecord, skip *bool) *apiError) *apiError {
	return s.mutate(c.region, []string{id}, fn)
}

// mutateKeys is mutate for the keys of a KeyIds parameter.
func (s *Server) mutateKeys(c *call, ids []string, fn func(r *keyRecord, skip *bool) *apiError) *apiError {
	if e := checkKeyIDs(ids); e != nil {
		return e
	}
	return s.mutate(c.region, ids, fn)
}

// updateKey is mutateKey for UpdateAlias and UpdateKeyDescription, which refuse
// keys pending deletion.
func (s *Server) updateKey(c *call, id string, fn func(r *keyRecord, skip *bool) *apiError) *apiError {
	return s.mutateKey(c, id, func(r *keyRecord, skip *bool) *apiError {
		if r.State == statePendingDelete {
			return errStateNotSupport(r.KeyID, r.State)
		}
		return fn(r, skip)
	})
}

type updateAliasParams struct {
	Alias string `param:"Alias,required"`
	KeyID string `param:"KeyId,required"`
}

func actUpdateAlias(s *Server, c *call, p *updateAliasParams) (*empty, *apiError) {
	if e := validateAlias(p.Alias); e != nil {
		return nil, e
	}
	return nil, s.updateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if r.Alias == p.Alias {
			*skip = true
			return nil
		}
		if _, taken := s.aliasKeyID(r.Region, p.Alias); taken {
			return errAliasExists(p.Alias)
		}
		r.Alias = p.Alias
		return nil
	})
}

type updateDescriptionParams struct {
	Description string `param:"Description,required"`
	KeyID       string `param:"KeyId,required"`
}

func actUpdateKeyDescription(s *Server, c *call, p *updateDescriptionParams) (*empty, *apiError) {
	if e := validateDescription(p.Description); e != nil {
		return nil, e
	}
	return nil, s.updateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		r.Description = p.Description
		return nil
	})
}

// transition returns the change of a key from state from to state to (of
// EnableKey(s), DisableKey(s) and ArchiveKey): a key already in state to is left
// as it is, one in any other state is refused.
func transition(from, to string) func(r *keyRecord, skip *bool) *apiError {
	return func(r *keyRecord, skip *bool) *apiError {
		switch r.State {
		case to:
			*skip = true
		case from:
			r.State = to
		default:
			return errStateNotSupport(r.KeyID, r.State)
		}
		return nil
	}
}

var (
	enableRecord  = transition(stateDisabled, stateEnabled)
	disableRecord = transition(stateEnabled, stateDisabled)
)

func actEnableKey(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, enableRecord)
}

func actDisableKey(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, disableRecord)
}

func actEnableKeys(s *Server, c *call, p *keyIDsParams) (*empty, *apiError) {
	return nil, s.mutateKeys(c, p.KeyIDs, enableRecord)
}

func actDisableKeys(s *Server, c *call, p *keyIDsParams) (*empty, *apiError) {
	return nil, s.mutateKeys(c, p.KeyIDs, disableRecord)
}

type scheduleDeletionParams struct {
	KeyID               string  `param:"KeyId,required"`
	PendingWindowInDays *uint64 `param:"PendingWindowInDays,required"`
}

type scheduleDeletionResult struct {
	DeletionDate int64  `json:"DeletionDate"`
	KeyID        string `json:"KeyId"`
}

func actScheduleKeyDeletion(s *Server, c *call, p *scheduleDeletionParams) (*scheduleDeletionResult, *apiError) {
	days := *p.PendingWindowInDays
	if days < minPendingDays || days > maxPendingDays {
		return nil, apiErr(codeInvalidPendingWindow,
			fmt.Sprintf("PendingWindowInDays must be between %d and %d.", minPendingDays, maxPendingDays),
			fmt.Sprintf("PendingWindowInDays 取值范围为 %d-%d。", minPendingDays, maxPendingDays))
	}
	date := s.nowUnix() + int64(days)*secondsPerDay
	e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		switch r.State {
		case stateDisabled, statePendingImport:
		case stateEnabled, stateArchived:
			return apiErr(codeCmkShouldBeDisabled,
				fmt.Sprintf("The CMK %s must be disabled before it can be scheduled for deletion.", r.KeyID),
				fmt.Sprintf("CMK %s 必须先禁用才能计划删除。", r.KeyID))
		default:
			return errStateNotSupport(r.KeyID, r.State)
		}
		r.State = statePendingDelete
		r.DeletionDate = date
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &scheduleDeletionResult{DeletionDate: date, KeyID: p.KeyID}, nil
}

type cancelDeletionResult struct {
	KeyID string `json:"KeyId"`
}

func actCancelKeyDeletion(s *Server, c *call, p *keyIDParams) (*cancelDeletionResult, *apiError) {
	e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if r.State != statePendingDelete {
			return apiErr(codeCmkNotPendingDelete,
				fmt.Sprintf("The CMK %s is not pending deletion.", r.KeyID),
				fmt.Sprintf("CMK %s 不处于计划删除状态。", r.KeyID))
		}
		r.State = stateDisabled
		if r.Origin == originExternal && len(r.Versions) == 0 {
			r.State = statePendingImport
		}
		r.DeletionDate = 0
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &cancelDeletionResult{KeyID: p.KeyID}, nil
}

func actArchiveKey(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, transition(stateEnabled, stateArchived))
}

func actCancelKeyArchive(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if r.State != stateArchived {
			return errStateNotSupport(r.KeyID, r.State)
		}
		r.State = stateEnabled
		return nil
	})
}

type enableRotationParams struct {
	KeyID      string  `param:"KeyId,required"`
	RotateDays *uint64 `param:"RotateDays"`
}

// checkRotatable refuses automatic rotation changes on keys that cannot rotate.
func checkRotatable(r *keyRecord) *apiError {
	if r.Origin == originExternal {
		return apiErr(codeExternalCmkCanNotRotate, "Imported (EXTERNAL) CMKs cannot rotate.", "导入类型（EXTERNAL）的 CMK 不支持轮换。")
	}
	if !isSymmetric(r.Usage) {
		return errInvalidKeyUsage(r.KeyID, r.Usage)
	}
	if r.State == statePendingDelete || r.State == statePendingImport {
		return errStateNotSupport(r.KeyID, r.State)
	}
	return nil
}

func actEnableKeyRotation(s *Server, c *call, p *enableRotationParams) (*empty, *apiError) {
	days := uint64(defaultRotateDays)
	if p.RotateDays != nil {
		days = *p.RotateDays
		if days < minRotateDays || days > maxRotateDays {
			return nil, errInvalidValue("RotateDays", fmt.Sprintf("must be between %d and %d", minRotateDays, maxRotateDays), fmt.Sprintf("取值范围为 %d-%d", minRotateDays, maxRotateDays))
		}
	}
	return nil, s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if e := checkRotatable(r); e != nil {
			return e
		}
		r.RotationEnabled = true
		r.RotateDays = days
		r.NextRotateTime = s.nowUnix() + int64(days)*secondsPerDay
		return nil
	})
}

func actDisableKeyRotation(s *Server, c *call, p *keyIDParams) (*empty, *apiError) {
	return nil, s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if e := checkRotatable(r); e != nil {
			return e
		}
		if !r.RotationEnabled {
			*skip = true
		}
		r.RotationEnabled = false
		return nil
	})
}

// rotateInterval is how long after a rotation RotateKey is refused with
// RequestLimitExceeded.RotateRateLimited: the service rotates a key at most once
// a day.
const rotateInterval = secondsPerDay // seconds

type rotateKeyResult struct {
	TaskID string `json:"TaskId"`
}

// actRotateKey rotates a key now. The real service rotates in a task (its TaskId
// is answered) and says FailedOperation.RotateTaskRunning while one runs; here
// the rotation is done before the answer, so that never happens.
func actRotateKey(s *Server, c *call, p *keyIDParams) (*rotateKeyResult, *apiError) {
	e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		// "Not supported: rotation not enabled, external key, replica key" (errors.go).
		if !canRotate(r) || !r.RotationEnabled {
			return apiErr(codeRotateNotSupported,
				fmt.Sprintf("The CMK %s cannot be rotated: only KMS-generated ENCRYPT_DECRYPT keys with key rotation enabled rotate.", r.KeyID),
				fmt.Sprintf("CMK %s 不支持轮转：只有开启了密钥轮转的 KMS 创建的对称密钥才能轮转。", r.KeyID))
		}
		if r.State != stateEnabled {
			return errStateNotSupport(r.KeyID, r.State)
		}
		now := s.nowUnix()
		if r.LastRotateTime != 0 && now < r.LastRotateTime+rotateInterval {
			return apiErr(codeRotateRateLimited,
				fmt.Sprintf("The CMK %s was rotated less than 24 hours ago; a key rotates at most once in 24 hours.", r.KeyID),
				fmt.Sprintf("CMK %s 在 24 小时内已轮转过，24 小时内仅可轮转一次。", r.KeyID))
		}
		if err := rotate(r, now); err != nil {
			s.logInternal("rotate key", err)
			return errInternal()
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &rotateKeyResult{TaskID: uuid.NewString()}, nil
}

type rotationStatusResult struct {
	KeyRotationEnabled bool `json:"KeyRotationEnabled"`
}

func actGetKeyRotationStatus(s *Server, c *call, p *keyIDParams) (*rotationStatusResult, *apiError) {
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	return &rotationStatusResult{KeyRotationEnabled: k.rec.RotationEnabled}, nil
}

// LookupAlias returns the KeyId of the key with the alias in region (""
// means the default region), and whether there is one. Like any request, it
// first applies what is due to that key (a key past its deletion date is gone).
func (s *Server) LookupAlias(region, alias string) (keyID string, ok bool) {
	if region == "" {
		region = s.region
	}
	id, ok := s.aliasKeyID(region, alias)
	if !ok {
		return "", false
	}
	if _, e := s.findKey(region, id); e != nil {
		return "", false
	}
	return id, true
}

// RotateKeyNow adds a new key version to a symmetric, KMS-generated key right away
// (an admin and test hook: unlike the RotateKey action it needs neither automatic
// rotation on nor a day since the last rotation). New encryptions use the new
// version; blobs of older versions still decrypt.
func (s *Server) RotateKeyNow(keyID string) error {
	if s.closed.Load() {
		return newError(CodeClosed, nil, "server is closed")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.nowUnix()
	k, err := s.maintainLocked(keyID, now)
	if err != nil {
		return err
	}
	if k == nil {
		return newError(codeCmkNotFound, nil, "rotate key %s: no such key", keyID)
	}
	r := k.rec.copy()
	if !canRotate(&r) {
		return newError(codeInvalidKeyUsage, nil, "rotate key %s: only KMS-generated ENCRYPT_DECRYPT keys rotate", keyID)
	}
	if r.State == statePendingDelete || r.State == statePendingImport {
		return newError(codeCmkStateNotSupport, nil, "rotate key %s: key is %s", keyID, r.State)
	}
	if err := rotate(&r, now); err != nil {
		return newError(CodeStorage, err, "rotate key %s: generate material", keyID)
	}
	_, err = s.commitKey(&r)
	return err
}

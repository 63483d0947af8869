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
	TagKey   string
	TagValue string
}

type tagFilterParam struct {
	TagKey   string
	TagValue []string
}

type empty struct{}

type keyIDParams struct {
	KeyID string
}

func (p *keyIDParams) fields() []field {
	return []field{fStr("KeyId", &p.KeyID, true)}
}

type keyIDsParams struct {
	KeyIDs []string
}

func (p *keyIDsParams) fields() []field {
	return []field{fList("KeyIds", &p.KeyIDs, true)}
}

// ---- CreateKey ---------------------------------------------------------------

type createKeyParams struct {
	Alias        string
	Description  string
	KeyUsage     string
	Type         *uint64
	Tags         []tagParam
	HsmClusterID string
}

func (p *createKeyParams) fields() []field {
	return []field{
		fStr("Alias", &p.Alias, true),
		fStr("Description", &p.Description, false),
		fStr("KeyUsage", &p.KeyUsage, false),
		fUint("Type", &p.Type, false),
		fObjects("Tags", false, func(n int) [][]field {
			p.Tags = make([]tagParam, n)
			out := make([][]field, n)
			for i := range p.Tags {
				t := &p.Tags[i]
				out[i] = []field{fStr("TagKey", &t.TagKey, true), fStr("TagValue", &t.TagValue, true)}
			}
			return out
		}),
		fStr("HsmClusterId", &p.HsmClusterID, false),
	}
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

func validateDescription(d string) *apiError {
	if len(d) > maxDescriptionBytes {
		return errInvalidValue("Description", fmt.Sprintf("must be at most %d bytes", maxDescriptionBytes), fmt.Sprintf("不能超过 %d 字节", maxDescriptionBytes))
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

// createKey generates material, checks the alias and commits a new key.
func (s *Server) createKey(sp keySpec) (*key, *apiError) {
	var versions []keyVersion
	now := s.nowUnix()
	if sp.origin == originTencent {
		mat, err := generateMaterial(sp.usage)
		if err != nil {
			s.logInternal("generate key material", err)
			return nil, errInternal()
		}
		versions = []keyVersion{{Version: 1, Material: mat, Created: now}}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return nil, errInternal()
	}
	if err := s.sweepLocked(now); err != nil {
		s.logInternal("sweep keys", err)
		return nil, errInternal()
	}
	s.mu.RLock()
	_, taken := s.aliases[aliasIndex(sp.region, sp.alias)]
	s.mu.RUnlock()
	if taken {
		return nil, errAliasExists(sp.alias)
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

func actCreateKey(s *Server, c *call, p *createKeyParams) (any, *apiError) {
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
	if usage == usageECDSA384Sign {
		return nil, apiErr(codeUnsupportedKeyUsage,
			"The KeyUsage ASYMMETRIC_SIGN_VERIFY_ECDSA384 is not supported by the local KMS.",
			"本地 KMS 不支持 KeyUsage ASYMMETRIC_SIGN_VERIFY_ECDSA384。")
	}
	if !supportedUsage(usage) {
		return nil, apiErr(codeInvalidKeyUsage, fmt.Sprintf("The KeyUsage %q is invalid.", truncate(usage, 64)), fmt.Sprintf("KeyUsage %q 不合法。", truncate(usage, 64)))
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

func actDescribeKey(s *Server, c *call, p *keyIDParams) (any, *apiError) {
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

func actDescribeKeys(s *Server, c *call, p *keyIDsParams) (any, *apiError) {
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
	Offset       *uint64
	Limit        *uint64
	Role         *uint64
	HsmClusterID string
}

func (p *listKeysParams) fields() []field {
	return []field{
		fUint("Offset", &p.Offset, false),
		fUint("Limit", &p.Limit, false),
		fUint("Role", &p.Role, false),
		fStr("HsmClusterId", &p.HsmClusterID, false),
	}
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

func (s *Server) sweep() *apiError {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return errInternal()
	}
	if err := s.sweepLocked(s.nowUnix()); err != nil {
		s.logInternal("sweep keys", err)
		return errInternal()
	}
	return nil
}

func actListKeys(s *Server, c *call, p *listKeysParams) (any, *apiError) {
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
	Offset         *uint64
	Limit          *uint64
	Role           *uint64
	OrderType      *uint64
	KeyState       *uint64
	SearchKeyAlias string
	Origin         string
	KeyUsage       string
	TagFilters     []tagFilterParam
	HsmClusterID   string
}

func (p *listKeyDetailParams) fields() []field {
	return []field{
		fUint("Offset", &p.Offset, false),
		fUint("Limit", &p.Limit, false),
		fUint("Role", &p.Role, false),
		fUint("OrderType", &p.OrderType, false),
		fUint("KeyState", &p.KeyState, false),
		fStr("SearchKeyAlias", &p.SearchKeyAlias, false),
		fStr("Origin", &p.Origin, false),
		fStr("KeyUsage", &p.KeyUsage, false),
		fObjects("TagFilters", false, func(n int) [][]field {
			p.TagFilters = make([]tagFilterParam, n)
			out := make([][]field, n)
			for i := range p.TagFilters {
				t := &p.TagFilters[i]
				out[i] = []field{fStr("TagKey", &t.TagKey, true), fList("TagValue", &t.TagValue, false)}
			}
			return out
		}),
		fStr("HsmClusterId", &p.HsmClusterID, false),
	}
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

func actListKeyDetail(s *Server, c *call, p *listKeyDetailParams) (any, *apiError) {
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
	if usage != "ALL" && !supportedUsage(usage) && usage != usageECDSA384Sign {
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

// mutateKey runs fn on a copy of the key's record under the write lock and
// commits the result. fn returns nil to commit, or an API error to abort; it may
// set *skip to commit nothing (idempotent no-op).
func (s *Server) mutateKey(c *call, id string, fn func(r *keyRecord, skip *bool) *apiError) (*key, *apiError) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return nil, errInternal()
	}
	if err := s.sweepLocked(s.nowUnix()); err != nil {
		s.logInternal("sweep keys", err)
		return nil, errInternal()
	}
	k, e := s.findKeyLocked(c.region, id)
	if e != nil {
		return nil, e
	}
	r := k.rec.copy()
	skip := false
	if e := fn(&r, &skip); e != nil {
		return nil, e
	}
	if skip {
		return k, nil
	}
	nk, err := s.commitKey(&r)
	if err != nil {
		s.logInternal("update key", err)
		return nil, errInternal()
	}
	return nk, nil
}

type updateAliasParams struct {
	Alias string
	KeyID string
}

func (p *updateAliasParams) fields() []field {
	return []field{fStr("Alias", &p.Alias, true), fStr("KeyId", &p.KeyID, true)}
}

func actUpdateAlias(s *Server, c *call, p *updateAliasParams) (any, *apiError) {
	if e := validateAlias(p.Alias); e != nil {
		return nil, e
	}
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if r.State == statePendingDelete {
			return errStateNotSupport(r.KeyID, r.State)
		}
		if r.Alias == p.Alias {
			*skip = true
			return nil
		}
		s.mu.RLock()
		_, taken := s.aliases[aliasIndex(r.Region, p.Alias)]
		s.mu.RUnlock()
		if taken {
			return errAliasExists(p.Alias)
		}
		r.Alias = p.Alias
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

type updateDescriptionParams struct {
	Description string
	KeyID       string
}

func (p *updateDescriptionParams) fields() []field {
	return []field{fStr("Description", &p.Description, true), fStr("KeyId", &p.KeyID, true)}
}

func actUpdateKeyDescription(s *Server, c *call, p *updateDescriptionParams) (any, *apiError) {
	if e := validateDescription(p.Description); e != nil {
		return nil, e
	}
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if r.State == statePendingDelete {
			return errStateNotSupport(r.KeyID, r.State)
		}
		r.Description = p.Description
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

// enableRecord and disableRecord are the state changes of Enable/DisableKey(s).
func enableRecord(r *keyRecord, skip *bool) *apiError {
	switch r.State {
	case stateEnabled:
		*skip = true
	case stateDisabled:
		r.State = stateEnabled
	default:
		return errStateNotSupport(r.KeyID, r.State)
	}
	return nil
}

func disableRecord(r *keyRecord, skip *bool) *apiError {
	switch r.State {
	case stateDisabled:
		*skip = true
	case stateEnabled:
		r.State = stateDisabled
	default:
		return errStateNotSupport(r.KeyID, r.State)
	}
	return nil
}

func actEnableKey(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	if _, e := s.mutateKey(c, p.KeyID, enableRecord); e != nil {
		return nil, e
	}
	return &empty{}, nil
}

func actDisableKey(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	if _, e := s.mutateKey(c, p.KeyID, disableRecord); e != nil {
		return nil, e
	}
	return &empty{}, nil
}

// mutateKeys applies fn to every key of a batch atomically: all or nothing, in
// one transaction.
func (s *Server) mutateKeys(c *call, ids []string, fn func(r *keyRecord, skip *bool) *apiError) *apiError {
	if e := checkKeyIDs(ids); e != nil {
		return e
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return errInternal()
	}
	if err := s.sweepLocked(s.nowUnix()); err != nil {
		s.logInternal("sweep keys", err)
		return errInternal()
	}
	var changed []*keyRecord
	for _, id := range ids {
		k, e := s.findKeyLocked(c.region, id)
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

func actEnableKeys(s *Server, c *call, p *keyIDsParams) (any, *apiError) {
	if e := s.mutateKeys(c, p.KeyIDs, enableRecord); e != nil {
		return nil, e
	}
	return &empty{}, nil
}

func actDisableKeys(s *Server, c *call, p *keyIDsParams) (any, *apiError) {
	if e := s.mutateKeys(c, p.KeyIDs, disableRecord); e != nil {
		return nil, e
	}
	return &empty{}, nil
}

type scheduleDeletionParams struct {
	KeyID               string
	PendingWindowInDays *uint64
}

func (p *scheduleDeletionParams) fields() []field {
	return []field{fStr("KeyId", &p.KeyID, true), fUint("PendingWindowInDays", &p.PendingWindowInDays, true)}
}

type scheduleDeletionResult struct {
	DeletionDate int64  `json:"DeletionDate"`
	KeyID        string `json:"KeyId"`
}

func actScheduleKeyDeletion(s *Server, c *call, p *scheduleDeletionParams) (any, *apiError) {
	days := *p.PendingWindowInDays
	if days < minPendingDays || days > maxPendingDays {
		return nil, apiErr(codeInvalidPendingWindow,
			fmt.Sprintf("PendingWindowInDays must be between %d and %d.", minPendingDays, maxPendingDays),
			fmt.Sprintf("PendingWindowInDays 取值范围为 %d-%d。", minPendingDays, maxPendingDays))
	}
	k, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
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
		r.DeletionDate = s.nowUnix() + int64(days)*secondsPerDay
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &scheduleDeletionResult{DeletionDate: k.rec.DeletionDate, KeyID: k.rec.KeyID}, nil
}

type cancelDeletionResult struct {
	KeyID string `json:"KeyId"`
}

func actCancelKeyDeletion(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	k, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
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
	return &cancelDeletionResult{KeyID: k.rec.KeyID}, nil
}

func actArchiveKey(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		switch r.State {
		case stateArchived:
			*skip = true
		case stateEnabled:
			r.State = stateArchived
		default:
			return errStateNotSupport(r.KeyID, r.State)
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

func actCancelKeyArchive(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if r.State != stateArchived {
			return errStateNotSupport(r.KeyID, r.State)
		}
		r.State = stateEnabled
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

type enableRotationParams struct {
	KeyID      string
	RotateDays *uint64
}

func (p *enableRotationParams) fields() []field {
	return []field{fStr("KeyId", &p.KeyID, true), fUint("RotateDays", &p.RotateDays, false)}
}

// checkRotatable refuses rotation changes on keys that cannot rotate.
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

func actEnableKeyRotation(s *Server, c *call, p *enableRotationParams) (any, *apiError) {
	days := uint64(defaultRotateDays)
	if p.RotateDays != nil {
		days = *p.RotateDays
		if days < minRotateDays || days > maxRotateDays {
			return nil, errInvalidValue("RotateDays", fmt.Sprintf("must be between %d and %d", minRotateDays, maxRotateDays), fmt.Sprintf("取值范围为 %d-%d", minRotateDays, maxRotateDays))
		}
	}
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, _ *bool) *apiError {
		if e := checkRotatable(r); e != nil {
			return e
		}
		r.RotationEnabled = true
		r.RotateDays = days
		r.NextRotateTime = s.nowUnix() + int64(days)*secondsPerDay
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

func actDisableKeyRotation(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	_, e := s.mutateKey(c, p.KeyID, func(r *keyRecord, skip *bool) *apiError {
		if e := checkRotatable(r); e != nil {
			return e
		}
		if !r.RotationEnabled {
			*skip = true
		}
		r.RotationEnabled = false
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &empty{}, nil
}

type rotationStatusResult struct {
	KeyRotationEnabled bool `json:"KeyRotationEnabled"`
}

func actGetKeyRotationStatus(s *Server, c *call, p *keyIDParams) (any, *apiError) {
	k, e := s.findKey(c.region, p.KeyID)
	if e != nil {
		return nil, e
	}
	return &rotationStatusResult{KeyRotationEnabled: k.rec.RotationEnabled}, nil
}

// RotateKeyNow adds a new key version to a symmetric, KMS-generated key right away
// (an admin and test hook; the API has no such action in 2019-01-18). New
// encryptions use the new version; blobs of older versions still decrypt.
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
	if r.Origin != originTencent || !isSymmetric(r.Usage) {
		return newError(codeInvalidKeyUsage, nil, "rotate key %s: only KMS-generated ENCRYPT_DECRYPT keys rotate", keyID)
	}
	if r.State == statePendingDelete || r.State == statePendingImport {
		return newError(codeCmkStateNotSupport, nil, "rotate key %s: key is %s", keyID, r.State)
	}
	mat, err := generateMaterial(r.Usage)
	if err != nil {
		return newError(CodeStorage, err, "rotate key %s: generate material", keyID)
	}
	r.Versions = append(r.Versions, keyVersion{Version: uint32(len(r.Versions) + 1), Material: mat, Created: now})
	r.LastRotateTime = now
	if r.RotationEnabled {
		r.NextRotateTime = now + int64(r.RotateDays)*secondsPerDay
	}
	_, err = s.commitKey(&r)
	return err
}

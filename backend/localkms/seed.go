package localkms

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Seed format (YAML):
//
//	keys:
//	  - alias: demo-key          # required; unique per region
//	    description: Demo
//	    usage: ENCRYPT_DECRYPT   # default; any KeyUsage the region offers
//	    region: ap-guangzhou     # default: the server's default region
//	    state: Enabled           # Enabled | Disabled | Archived (default Enabled)
//	    rotation: true           # automatic rotation (ENCRYPT_DECRYPT only)
//	    rotate_days: 365         # 7-365, default 365
//	    tags: {env: dev}

// maxSeedBytes bounds a seed file (bytes).
const maxSeedBytes = 1 << 20

type seedFile struct {
	Keys []seedKey `yaml:"keys"`
}

type seedKey struct {
	Alias       string            `yaml:"alias"`
	Description string            `yaml:"description"`
	Usage       string            `yaml:"usage"`
	Region      string            `yaml:"region"`
	State       string            `yaml:"state"`
	Rotation    bool              `yaml:"rotation"`
	RotateDays  uint64            `yaml:"rotate_days"`
	Tags        map[string]string `yaml:"tags"`
}

func seedError(err error, format string, args ...any) error {
	return newError(CodeInvalidSeed, err, format, args...)
}

// validate normalises and checks one seed entry.
func (s *Server) validateSeedKey(i int, k *seedKey) (keySpec, error) {
	if e := validateAlias(k.Alias); e != nil {
		return keySpec{}, seedError(nil, "seed key %d: alias %q: %s", i, k.Alias, e.en)
	}
	if e := validateDescription(k.Description); e != nil {
		return keySpec{}, seedError(nil, "seed key %d (%s): %s", i, k.Alias, e.en)
	}
	if k.Usage == "" {
		k.Usage = usageEncryptDecrypt
	}
	if !knownUsage(k.Usage) {
		return keySpec{}, seedError(nil, "seed key %d (%s): unsupported usage %q", i, k.Alias, k.Usage)
	}
	if k.Region == "" {
		k.Region = s.region
	}
	if !s.regionSet[k.Region] {
		return keySpec{}, seedError(nil, "seed key %d (%s): region %q is not one of the server's regions", i, k.Alias, k.Region)
	}
	if !s.offers(k.Region, k.Usage) {
		return keySpec{}, seedError(nil, "seed key %d (%s): region %s does not offer usage %s", i, k.Alias, k.Region, k.Usage)
	}
	switch k.State {
	case "":
		k.State = stateEnabled
	case stateEnabled, stateDisabled, stateArchived:
	default:
		return keySpec{}, seedError(nil, "seed key %d (%s): state must be Enabled, Disabled or Archived, not %q", i, k.Alias, k.State)
	}
	if (k.Rotation || k.RotateDays != 0) && !isSymmetric(k.Usage) {
		return keySpec{}, seedError(nil, "seed key %d (%s): only ENCRYPT_DECRYPT keys rotate", i, k.Alias)
	}
	if k.RotateDays != 0 && (k.RotateDays < minRotateDays || k.RotateDays > maxRotateDays) {
		return keySpec{}, seedError(nil, "seed key %d (%s): rotate_days must be %d-%d", i, k.Alias, minRotateDays, maxRotateDays)
	}
	names := make([]string, 0, len(k.Tags))
	for name := range k.Tags {
		names = append(names, name)
	}
	slices.Sort(names)
	tags := make([]tagParam, 0, len(names))
	for _, name := range names {
		if name == "" || k.Tags[name] == "" {
			return keySpec{}, seedError(nil, "seed key %d (%s): tag keys and values must not be empty", i, k.Alias)
		}
		tags = append(tags, tagParam{TagKey: name, TagValue: k.Tags[name]})
	}
	recs, e := validateTags(tags)
	if e != nil {
		return keySpec{}, seedError(nil, "seed key %d (%s): %s", i, k.Alias, e.en)
	}
	return keySpec{
		region: k.Region, alias: k.Alias, description: k.Description, usage: k.Usage,
		origin: originTencent, tags: recs, state: k.State, rotation: k.Rotation, rotateDays: k.RotateDays,
	}, nil
}

// Seed creates the keys described by a YAML seed (see docs/LOCAL-KMS.md). It is
// idempotent by alias: a key whose alias already exists in its region is left
// as it is. The whole file is validated before any key is created.
func (s *Server) Seed(r io.Reader) error {
	if s.closed.Load() {
		return newError(CodeClosed, nil, "server is closed")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSeedBytes+1))
	if err != nil {
		return seedError(err, "read seed")
	}
	if len(data) > maxSeedBytes {
		return seedError(nil, "seed is larger than %d bytes", maxSeedBytes)
	}
	var f seedFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return seedError(err, "parse seed")
	}
	specs := make([]keySpec, 0, len(f.Keys))
	seen := make(map[string]bool)
	for i := range f.Keys {
		sp, err := s.validateSeedKey(i, &f.Keys[i])
		if err != nil {
			return err
		}
		id := aliasIndex(sp.region, sp.alias)
		if seen[id] {
			return seedError(nil, "seed key %d: alias %q appears twice in region %s", i, sp.alias, sp.region)
		}
		seen[id] = true
		specs = append(specs, sp)
	}
	for _, sp := range specs {
		if _, exists := s.aliasKeyID(sp.region, sp.alias); exists {
			continue
		}
		if _, e := s.createKey(sp); e != nil {
			if e.code == codeAliasAlreadyExists {
				continue // created concurrently
			}
			return newError(e.code, nil, "seed key %s: %s", sp.alias, e.en)
		}
	}
	return nil
}

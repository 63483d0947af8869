package envelope

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Metadata is the optional encrypted metadata record (docs/FORMAT.md §5): facts about
// the original file that travel inside the encrypted payload, not in the header.
type Metadata struct {
	// Name is the original base name (no directories); may be empty.
	Name string
	// Size is the exact number of bytes Encrypt will read from its input, or -1 if
	// unknown. When it is ≥ 0 and the input yields a different count, Encrypt fails
	// with ErrInputChanged.
	Size int64
	// ModTime is the modification time; the zero Time means unknown. Stored with
	// nanosecond precision; decoded in UTC.
	ModTime time.Time
	// Mode holds the permission bits plus setuid, setgid and sticky; other bits are
	// ignored when encrypting.
	Mode fs.FileMode
}

const (
	metadataVersion   = 1
	metaHasSize       = 0x01
	metaHasModTime    = 0x02
	metadataFixedSize = 28
)

// posixMode converts the stored bits of m to POSIX mode bits (0o7777).
func posixMode(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// fileMode converts POSIX mode bits back to an fs.FileMode.
func fileMode(v uint32) fs.FileMode {
	m := fs.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// validName reports whether name may be stored as a base name.
func validName(name string) error {
	switch {
	case len(name) > MaxNameSize:
		return fmt.Errorf("name of %d bytes exceeds %d", len(name), MaxNameSize)
	case name == "." || name == "..":
		return fmt.Errorf("name is %q", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("name contains a path separator")
	case !cleanUTF8(name):
		return fmt.Errorf("name is not UTF-8 without control characters")
	}
	return nil
}

// marshalMetadata writes the 1024-byte record for m into b (len(b) ≥ MetadataSize).
func marshalMetadata(b []byte, m *Metadata) error {
	if err := validName(m.Name); err != nil {
		return wrapError(ErrInvalidArgument, "encode metadata", err)
	}
	r := b[:MetadataSize]
	clear(r)
	r[0] = metadataVersion
	if m.Size >= 0 {
		r[1] |= metaHasSize
		binary.BigEndian.PutUint64(r[2:], uint64(m.Size))
	}
	if !m.ModTime.IsZero() {
		r[1] |= metaHasModTime
		binary.BigEndian.PutUint64(r[10:], uint64(m.ModTime.Unix()))
		binary.BigEndian.PutUint32(r[18:], uint32(m.ModTime.Nanosecond()))
	}
	binary.BigEndian.PutUint32(r[22:], posixMode(m.Mode))
	binary.BigEndian.PutUint16(r[26:], uint16(len(m.Name)))
	copy(r[metadataFixedSize:], m.Name)
	return nil
}

// parseMetadata decodes an authenticated record. Invalid records give
// ErrMalformedMetadata.
func parseMetadata(r []byte) (*Metadata, error) {
	bad := func(why string) (*Metadata, error) {
		return nil, newError(ErrMalformedMetadata, "parse metadata: "+why)
	}
	if len(r) != MetadataSize {
		return bad("wrong record size")
	}
	if r[0] != metadataVersion {
		return bad(fmt.Sprintf("unknown record version %d", r[0]))
	}
	present := r[1]
	if present&^(metaHasSize|metaHasModTime) != 0 {
		return bad("unknown fields present")
	}
	m := &Metadata{Size: -1}
	size := int64(binary.BigEndian.Uint64(r[2:]))
	sec := int64(binary.BigEndian.Uint64(r[10:]))
	nsec := binary.BigEndian.Uint32(r[18:])
	mode := binary.BigEndian.Uint32(r[22:])
	n := int(binary.BigEndian.Uint16(r[26:]))
	if present&metaHasSize != 0 {
		if size < 0 {
			return bad("negative size")
		}
		m.Size = size
	} else if size != 0 {
		return bad("absent size is not zero")
	}
	if present&metaHasModTime != 0 {
		if nsec >= 1e9 {
			return bad("nanoseconds out of range")
		}
		m.ModTime = time.Unix(sec, int64(nsec)).UTC()
	} else if sec != 0 || nsec != 0 {
		return bad("absent mtime is not zero")
	}
	if mode&^0o7777 != 0 {
		return bad("unknown mode bits")
	}
	m.Mode = fileMode(mode)
	if n > MaxNameSize {
		return bad("name overruns the record")
	}
	m.Name = string(r[metadataFixedSize : metadataFixedSize+n])
	if err := validName(m.Name); err != nil {
		return bad(err.Error())
	}
	for _, c := range r[metadataFixedSize+n:] {
		if c != 0 {
			return bad("non-zero padding")
		}
	}
	return m, nil
}

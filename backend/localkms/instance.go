package localkms

import (
	"strings"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Every local KMS data folder has a stable instance id, made when the folder is
// created. KMS Desk writes it into the slots of the files it encrypts with this local
// KMS (docs/FORMAT.md §1.2, slot type 3), so a file made on another computer is
// recognised as such instead of failing with "key not found". A folder restored from
// another computer's backup also answers to that computer's id.

// Meta-bucket entries of the instance ids.
var (
	metaInstance  = []byte("instance")  // this folder's id
	metaInstances = []byte("instances") // ids of restored backups, comma-separated
)

// readInstance reads (creating on first use) the instance ids from the meta bucket.
func readInstance(meta *bolt.Bucket) (own string, others []string, err error) {
	if meta.Get(metaInstance) == nil {
		if err := meta.Put(metaInstance, []byte(uuid.NewString())); err != nil {
			return "", nil, err
		}
	}
	own, others = instancesOf(meta)
	return own, others, nil
}

// instancesOf reads the instance ids from the meta bucket.
func instancesOf(meta *bolt.Bucket) (own string, others []string) {
	own = string(meta.Get(metaInstance))
	if v := string(meta.Get(metaInstances)); v != "" {
		others = strings.Split(v, ",")
	}
	return own, others
}

// InstanceIDs returns the ids this local KMS answers to: its own first, then those of
// backups restored into it.
func (s *Server) InstanceIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string{s.instance}, s.instances...)
}

package localkms_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// TestInstanceIDIsStable: a data folder keeps its id across restarts, and two folders
// have different ids.
func TestInstanceIDIsStable(t *testing.T) {
	a := localkmstest.Start(t)
	ids := a.Server.InstanceIDs()
	if len(ids) != 1 || func() bool { _, err := uuid.Parse(ids[0]); return err != nil }() {
		t.Fatalf("ids %v", ids)
	}
	dir := a.Dir
	a.Server.Close()
	again, err := localkms.Open(localkms.Options{DataDir: dir, MasterKey: localkms.MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := again.InstanceIDs(); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("after a restart %v, want %v", got, ids)
	}
	if other := localkmstest.Start(t).Server.InstanceIDs(); other[0] == ids[0] {
		t.Fatal("two data folders share an id")
	}
}

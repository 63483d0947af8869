package envelope

// AppendSlotForTest appends s to the data key's slots as they are: the golden vectors
// need a recovery slot with fixed bytes (age encryption is randomised).
func (dk *DataKey) AppendSlotForTest(s Slot) {
	dk.mu.Lock()
	defer dk.mu.Unlock()
	dk.slots = append(dk.slots, s)
}

// PosixMode exposes posixMode to the golden-vector writer.
var PosixMode = posixMode

package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
)

// Deps is everything the services need from their host (the desktop shell or kmsctl).
type Deps struct {
	// Context ends when the host shuts down.
	Context context.Context
	// Gate opens when startup is done (OpenGate() for kmsctl).
	Gate Gate
	Log  *slog.Logger
	// Connector reaches the current KMS.
	Connector *Connector
	Events    Events
	Dialogs   Dialogs
	Desktop   Desktop
	Info      AppInfo
	// Quit ends the app (nil in kmsctl).
	Quit func()
	// Started is when the process started.
	Started time.Time
	// Profiles is the profile store (nil: no SettingsService).
	Profiles *credentials.Store
}

// Backend is the set of services the desktop app binds.
type Backend struct {
	Keys     *KeyService
	Text     *TextService
	App      *AppService
	Settings *SettingsService
	Files    *FileService
}

// New builds the services from deps.
func New(d Deps) *Backend {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{
		Keys:  NewKeyService(d.Context, d.Gate, d.Log, d.Connector, d.Dialogs),
		Text:  NewTextService(d.Context, d.Gate, d.Log, d.Connector, d.Dialogs, d.Desktop),
		App:   NewAppService(d.Context, d.Gate, d.Log, d.Info, d.Events, d.Quit, d.Started),
		Files: NewFileService(d.Context, d.Gate, d.Log, d.Connector, d.Dialogs, d.Desktop, d.Events, d.Info),
	}
	if d.Profiles != nil {
		b.Settings = NewSettingsService(d.Context, d.Gate, d.Log, d.Connector, d.Profiles, d.Dialogs, d.Events)
	}
	return b
}

// Bindings returns the services to hand to Wails' Bind.
func (b *Backend) Bindings() []any {
	out := []any{b.Keys, b.Text, b.App, b.Files}
	if b.Settings != nil {
		out = append(out, b.Settings)
	}
	return out
}

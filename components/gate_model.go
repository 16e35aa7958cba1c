package components

import "github.com/kaiconn/consent/consentview"

// The view models of the gate and the settings are package consentview's,
// which computes them on the server and in the wasm alike; these names
// keep the components' (and their callers') spelling.

// Gate modes (consentview).
const (
	GateAsk     = consentview.GateAsk
	GateReask   = consentview.GateReask
	GateCurrent = consentview.GateCurrent
	GateDone    = consentview.GateDone
)

type (
	PurposeView   = consentview.PurposeView
	PurposeFacts  = consentview.PurposeFacts
	ContactView   = consentview.ContactView
	GateView      = consentview.GateView
	GateScript    = consentview.GateScript
	SettingsView  = consentview.SettingsView
	HistoryView   = consentview.HistoryView
	BridgeMessage = consentview.BridgeMessage
)

// SettingsMessages and GateMessages are consentview's.
var (
	SettingsMessages = consentview.SettingsMessages
	GateMessages     = consentview.GateMessages
)

// RenderedNone is consentview.RenderedNone.
const RenderedNone = consentview.RenderedNone

// The bridge contract's constants (consentview).
const (
	BridgeType    = consentview.BridgeType
	BridgeVersion = consentview.BridgeVersion
	BridgeTime    = consentview.BridgeTime
)

package receipttest

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/kaiconn/consent/receipt"
)

// PolicyVersion is the one policy version the test catalogue knows.
const PolicyVersion = "2025-01-01"

// PolicyText returns the test policy text shown in lang.
func PolicyText(lang string) string {
	if lang == receipt.LangEn {
		return "Kaiconn privacy policy, test edition.\n"
	}
	return "每开隐私政策（测试版）。\n"
}

// PolicySHA256 returns the hex SHA-256 of PolicyText(lang).
func PolicySHA256(lang string) string {
	sum := sha256.Sum256([]byte(PolicyText(lang)))
	return hex.EncodeToString(sum[:])
}

// PolicyHash is a receipt.PolicyHashFunc over the test catalogue.
func PolicyHash(version, lang string) (string, bool) {
	if version != PolicyVersion || (lang != receipt.LangEn && lang != receipt.LangZhHans) {
		return "", false
	}
	return PolicySHA256(lang), true
}

// Purposes of the test policy.
const (
	PurposeAccount = "account"
	PurposeCrash   = "crash-reports"
)

// PurposeKnown is a receipt.PurposeFunc over the test catalogue.
func PurposeKnown(version, id string) bool {
	return version == PolicyVersion && (id == PurposeAccount || id == PurposeCrash)
}

// Params returns a first-launch decision of subject at time at, chained to
// prev: the account purpose given, crash reports to an SDK refused.
func Params(subject, prev string, at time.Time) receipt.Params {
	return receipt.Params{
		Subject:       subject,
		Surface:       receipt.SurfaceFirstLaunch,
		Language:      receipt.LangZhHans,
		PolicyVersion: PolicyVersion,
		PolicySHA256:  PolicySHA256(receipt.LangZhHans),
		Decision:      receipt.DecisionAgreed,
		IssuedAt:      at,
		PrevHash:      prev,
		Purposes: []receipt.PurposeParams{
			{
				ID:             PurposeAccount,
				Recipient:      "Kaiconn",
				DataCategories: []string{"device-id", "app-usage"},
				ConsentType:    receipt.ConsentTypeConsent,
				State:          receipt.StateGiven,
				Time:           at,
				ExpiresAt:      at.AddDate(1, 0, 0),
				WithdrawText:   "在“设置 > 隐私”中随时撤回。",
			},
			{
				ID:             PurposeCrash,
				Recipient:      "Bugly SDK (Tencent)",
				DataCategories: []string{"device-model", "crash-log"},
				ConsentType:    receipt.ConsentTypeSeparate,
				State:          receipt.StateRefused,
				Time:           at,
				WithdrawText:   "在“设置 > 隐私”中随时撤回。",
			},
		},
	}
}

// NoticeHash returns a stand-in notice reference for the test catalogue:
// the hex SHA-256 of name. The receipt package checks only the form of a
// reference; what a reference must be is consentreceipt's to check.
func NoticeHash(name string) string {
	sum := sha256.Sum256([]byte("test notice " + name))
	return hex.EncodeToString(sum[:])
}

// ParamsV2 is Params in the compact format kaiconn-receipt/2: the same
// decision, its texts named by one NoticeHash reference.
func ParamsV2(subject, prev string, at time.Time) receipt.Params {
	return receipt.Params{
		Schema:        receipt.SchemaV2,
		Subject:       subject,
		Surface:       receipt.SurfaceFirstLaunch,
		Language:      receipt.LangZhHans,
		PolicyVersion: PolicyVersion,
		PolicySHA256:  PolicySHA256(receipt.LangZhHans),
		Decision:      receipt.DecisionAgreed,
		IssuedAt:      at,
		PrevHash:      prev,
		Notice:        NoticeHash("shown app " + receipt.LangZhHans),
		Purposes: []receipt.PurposeParams{
			{ID: PurposeAccount, State: receipt.StateGiven, ExpiresAt: at.AddDate(1, 0, 0)},
			{ID: PurposeCrash, State: receipt.StateRefused},
		},
	}
}

// ParamsV3 is ParamsV2 in kaiconn-receipt/3, where required processing
// rests on necessity rather than consent: the account purpose stands for
// such processing here, necessary and without an expiry.
func ParamsV3(subject, prev string, at time.Time) receipt.Params {
	p := ParamsV2(subject, prev, at)
	p.Schema = receipt.SchemaV3
	p.Purposes[0] = receipt.PurposeParams{ID: PurposeAccount, State: receipt.StateNecessary}
	return p
}

// Validator returns a receipt.Validator over the test catalogue with a clock
// fixed at now.
func Validator(now time.Time) *receipt.Validator {
	return receipt.NewValidator(PolicyHash, PurposeKnown, func() time.Time { return now })
}

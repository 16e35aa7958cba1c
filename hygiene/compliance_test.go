package hygiene

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// compliancePage is where the rule table is published for the privacy team
// and reviewers; the section between its markers is generated from rules.
const compliancePage = "docs/compliance.md"

// A complianceRule is one obligation the product meets, with the law or guidance it
// comes from and the tests that hold it. The tests are named as
// "<package directory>.<TestFunction>", so that a reviewer can run each one
// (go test ./<dir> -run '^<TestFunction>$') and so that this table fails
// when a test it relies on is renamed or removed.
type complianceRule struct {
	n      int
	rule   string
	source string
	tests  []string
}

// complianceRules is the compliance rule table. Its numbers are stable: a rule that
// no longer applies keeps its number and says so, and a new one is added at
// the end, because reviews and issues cite rules by number.
var complianceRules = []complianceRule{
	{1, "The policy is shown before any processing, the full text one tap away, and no SDK starts before the person decides.",
		"PIPL arts. 14, 17",
		[]string{"e2e.TestGate", "e2e.TestGateTapToBridgeWithoutWasm", "consent.TestCatalogue_ShouldPrompt"}},
	{2, "Nothing optional is pre-ticked: a blank decision grants nothing, on the gate and in the banner.",
		"PIPL art. 14; EDPB Guidelines 05/2020 on consent",
		[]string{"consent.TestBlank", "e2e.TestGate", "e2e.TestBannerCustomise"}},
	{3, "Refusing an optional purpose never blocks basic use; Disagree says what still works.",
		"PIPL art. 16",
		[]string{"consent.TestBasicUseAllowed", "consent.TestDecline", "e2e.TestSettingsAfterDisagree"}},
	{4, "Sharing with a third party asks for separate consent (单独同意), purpose by purpose, with one badge that says so.",
		"PIPL art. 23",
		[]string{"server.TestOneSeparateConsentBadge", "e2e.TestPermissionSendsOneMessagePerChoice"}},
	{5, "Withdrawing is as easy as giving, on every surface that gives, and a withdrawal clears what the consent allowed.",
		"PIPL art. 15",
		[]string{"consent.TestWithdraw", "e2e.TestBannerAcceptOnceAndWithdraw", "e2e.TestSettingsWithdrawAllShowsStoredState"}},
	{6, "A new policy version asks again only for what changed; after a refusal the app does not ask again within 48 hours unless the person opens the choices.",
		"PIPL art. 14 (para. 2); MIIT app rules on repeated prompts",
		[]string{"consent.TestReask", "consent.TestCatalogue_ShouldPrompt", "e2e.TestGate48HoursThroughTheHost"}},
	{7, "Processing that rests on necessity is not consent: Disagree records the basic functions as necessary (receipt state necessary, no expiry), never as consent given, and the screen says so.",
		"PIPL art. 13 (1) 2; ISO/IEC TS 27560 legal basis",
		[]string{"server.TestDisagreeRecordsNecessityNotConsent", "receipt.TestDecodeV3", "e2e.TestGateDisagreeRecordsNecessity"}},
	{8, "Accept and refuse carry equal weight: same size, style and place, on the gate, the banner and the permission pages.",
		"EDPB Guidelines 03/2022 on deceptive design; MIIT app rules",
		[]string{"e2e.TestPermissionChoicesOfEqualWeight", "e2e.TestGateDesign", "e2e.TestBannerFirstLayer"}},
	{9, "Sensitive personal information gets its own notice of necessity and impact where it is processed, and each SDK shows which of its items are sensitive or tell where the person is.",
		"PIPL arts. 28–30",
		[]string{"server.TestGateSensitiveNotice", "e2e.TestGateSensitiveNotice", "lists.TestCollectedAsThePolicySays", "lists.TestSharedAsThePolicySays"}},
	{10, "No non-essential cookie or storage before consent: the language is kept in the URL until preferences are allowed, and a GPC signal refuses analytics without a click.",
		"ePrivacy Directive art. 5(3); PIPL art. 14",
		[]string{"e2e.TestLanguageCookieOnlyByChoice", "e2e.TestBannerGPCRefusesAnalyticsWithoutAClick"}},
	{11, "The policy's own words are quoted verbatim where they are quoted, and every right it grants is shown, the rights of a deceased person's relatives and on automated decisions included.",
		"PIPL arts. 24, 44–50",
		[]string{"server.TestSettingsRightsQuoteThePolicy", "consent.TestCheckPolicy_Rights", "e2e.TestSettingsRightsCentre"}},
	{12, "The screen always equals what is stored: the review link shows the stored choices, the re-ask shows the previous answer and what changed, settings warn before an unsaved change is lost, and the interactive settings render exactly what the server rendered.",
		"PIPL art. 14 (informed, unambiguous consent)",
		[]string{"e2e.TestGateReviewLinkShowsStoredChoices", "server.TestGateReaskAnswers", "consent.TestCollectsChange", "e2e.TestSettingsUnsavedChangeIsWarned", "components.TestSettingsSameDOMAsServer"}},
	{13, "Only adults decide: the gate asks the person to confirm they are 18 or older, and the receipt records it.",
		"Policy §6; PIPL art. 31",
		[]string{"server.TestGateRecordsAgeConfirmation", "consent.TestMinorsAndFacts"}},
	{14, "Every decision becomes a signed receipt, stored exactly once even when the device was offline.",
		"PIPL arts. 51, 54 (accountability)",
		[]string{"e2e.TestGateReceiptOnceOffline", "e2e.TestOutboxOffline"}},
	{15, "Each cookie category says what its cookies do; a category that is always on names each cookie it sets, since its text is all the visitor can judge it by.",
		"ePrivacy Directive art. 5(3) (clear and comprehensive information)",
		[]string{"consent.TestLoadCatalogue", "e2e.TestBannerNecessaryTextSaysWhatItsCookiesDo"}},
}

// The rule table is only worth something while each test it names exists:
// a renamed or deleted test would leave a rule that nothing holds.
func TestComplianceRules(t *testing.T) {
	root := moduleRoot(t)
	defined := map[string]map[string]bool{}
	for i, r := range complianceRules {
		require.Equal(t, i+1, r.n, "rules are numbered 1, 2, 3… in order, and a number is never reused")
		require.NotEmpty(t, r.tests, "rule %d is held by no test", r.n)
		for _, name := range r.tests {
			dir, fn, ok := strings.Cut(name, ".")
			require.True(t, ok, "rule %d: %q is not <dir>.<TestFunction>", r.n, name)
			if defined[dir] == nil {
				defined[dir] = testFuncs(t, filepath.Join(root, dir))
			}
			require.True(t, defined[dir][fn], "rule %d names %s, which is not a test function in ./%s", r.n, fn, dir)
		}
	}
	generatedSection(t, filepath.Join(root, compliancePage), "rules", complianceTable())
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)

// testFuncs are the top-level test functions of the _test.go files in dir.
func testFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "./%s has no tests", dir)
	found := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range testFunc.FindAllSubmatch(b, -1) {
			found[string(m[1])] = true
		}
	}
	return found
}

func complianceTable() string {
	var b strings.Builder
	b.WriteString("| # | rule | from | held by |\n|---|---|---|---|\n")
	for _, r := range complianceRules {
		tests := make([]string, len(r.tests))
		for i, name := range r.tests {
			tests[i] = "`" + name + "`"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", r.n, r.rule, r.source, strings.Join(tests, ", "))
	}
	return b.String()
}

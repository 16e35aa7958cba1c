package notice

import (
	"slices"

	"github.com/kaiconn/consent/consent"
)

// Recipient names who receives the data of purpose p, in lang: the
// catalogue's recipient and, for a third-party SDK, the SDK after a dash. A
// separate consent (PIPL art. 23) is given to one SDK, not to its provider
// at large, so the receipt must show which.
func Recipient(p consent.Purpose, lang string) string {
	name := p.Recipient.In(lang)
	if sdk := p.SDK.In(lang); sdk != "" {
		return name + " — " + sdk
	}
	return name
}

// DataCategories names the personal information a purpose processes, as the
// policy words it: the items of the collected information when the catalogue
// has it, the cookies a web category sets otherwise, and the purpose's title
// as a last resort (the strictly necessary cookies name neither).
func DataCategories(p consent.Purpose, lang string) []string {
	if cats := SplitCategories(p.Collects.In(lang)); len(cats) > 0 {
		return cats
	}
	if len(p.Cookies) > 0 {
		return slices.Clone(p.Cookies)
	}
	return []string{p.Title.In(lang)}
}

// SplitCategories splits a "collects" text of the policy into its items, so
// that a receipt lists each kind of data on its own. It is
// consent.SplitItems, the very split the catalogue is checked against the
// policy with, so a receipt names exactly the items the policy lists.
func SplitCategories(text string) []string { return consent.SplitItems(text) }

// Withdrawal texts, in the language of the decision. Every purpose carries
// one beside receipt.WithdrawURL; the required processing carries its own,
// since it cannot be withdrawn alone and a receipt must not promise it can.
var (
	withdrawText = map[string]string{
		consent.LangZhHans: "您可以随时在“隐私设置”中撤回同意,撤回与给予同意一样便捷;撤回不影响撤回前基于您的同意已进行的个人信息处理活动。",
		consent.LangEn:     "You can withdraw this consent at any time in Privacy settings, as easily as you gave it; withdrawal does not affect processing carried out on the basis of your consent before it.",
	}
	requiredText = map[string]string{
		consent.LangZhHans: "基本功能所必需的处理无法单独撤回;注销账号即终止该处理。",
		consent.LangEn:     "The processing required for the basic functions cannot be withdrawn on its own; cancelling the account ends it.",
	}
)

// WithdrawText tells, in lang, how to take back a consent to an optional
// purpose ("" for a language the policy is not written in).
func WithdrawText(lang string) string { return withdrawText[lang] }

// RequiredText tells, in lang, why the required processing has no
// withdrawal of its own and what ends it ("" for an unknown language).
func RequiredText(lang string) string { return requiredText[lang] }

// PurposeWithdrawText is the withdrawal text a purpose carries: RequiredText
// for the required processing, WithdrawText for any other.
func PurposeWithdrawText(p consent.Purpose, lang string) string {
	if p.Required {
		return RequiredText(lang)
	}
	return WithdrawText(lang)
}

package cjk_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/cjk"
)

func TestPunctuate(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"CommaBetweenHan", "设备标识符,位置信息,MAC地址", "设备标识符，位置信息，MAC地址"},
		{"BracketPairChangesTogether", "国际移动设备识别码(IMEI)、网络", "国际移动设备识别码（IMEI）、网络"},
		{"BracketInsideHan", "设备加速器(如重力感应设备)", "设备加速器（如重力感应设备）"},
		{"Nested", "友盟同欣(北京(总部))科技", "友盟同欣（北京（总部））科技"},
		{"ColonAndSemicolon", "更新日期:2022年10月;生效", "更新日期：2022年10月；生效"},
		{"QuestionAndBang", "您同意吗?好!", "您同意吗？好！"},
		{"NextToCJKPunctuation", "、IDFA,。", "、IDFA，。"},
		{"LatinAlone", "Bugly, Umeng (Tencent): 10:30!", "Bugly, Umeng (Tencent): 10:30!"},
		{"LatinPairInChinese", "客服热线(0755 - 86965862)", "客服热线（0755 - 86965862）"},
		{"UnmatchedClose", "见上文)。", "见上文）。"},
		{"UnmatchedOpen", "见(下文", "见（下文"},
		{"AfterAConvertedBracket", "客服电话(0755 - 86965862);", "客服电话（0755 - 86965862）；"},
		{"PairAfterAChineseWordEndingInLatin", "友盟统计SDK(com.umeng)", "友盟统计SDK（com.umeng）"},
		{"PairAfterAChineseWordInASentence", "使用友盟统计SDK(com.umeng),统计", "使用友盟统计SDK（com.umeng），统计"},
		{"PairAfterALatinWordStaysLatin", "Umeng statistics SDK (com.umeng)", "Umeng statistics SDK (com.umeng)"},
		{"PairAfterLatinInChineseAfterASpace", "腾讯 SDK(x)", "腾讯 SDK(x)"},
		{"Empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cjk.Punctuate(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, utf8.RuneCountInString(tt.in), utf8.RuneCountInString(got), "one rune for one")
		})
	}
}

func TestFoldUndoesPunctuate(t *testing.T) {
	in := "设备标识符,位置信息(IMEI):好吗?是!对;"
	var folded []rune
	for _, r := range cjk.Punctuate(in) {
		folded = append(folded, cjk.Fold(r))
	}
	assert.Equal(t, in, string(folded))
}

func TestPunctuatePiecesJudgesTheWhole(t *testing.T) {
	// The comma follows a bold phrase: alone it touches no Chinese.
	got := cjk.PunctuatePieces([]string{"我们收集", "手机号码", ", IMEI"})
	assert.Equal(t, []string{"我们收集", "手机号码", "， IMEI"}, got)
	assert.Equal(t, ", IMEI", cjk.Punctuate(", IMEI"), "alone it stays")
	assert.Equal(t, []string{",x"}, cjk.PunctuatePieces([]string{",x"}))
}

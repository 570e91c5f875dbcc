package schemas

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

const msgZhFallback = "不符合数据规范"

// messages returns the English and Chinese message of one leaf error kind. English messages are
// our own for the kinds these schemas use (short, no schema URLs, long values truncated) and
// the library's for the rest; Chinese messages come from this table with a generic fallback.
func messages(k jsonschema.ErrorKind) (en, zh string) {
	switch k := k.(type) {
	case *kind.Type:
		want := strings.Join(k.Want, " or ")
		return "wrong type: want " + want + ", got " + k.Got,
			"类型错误：应为 " + strings.Join(k.Want, " 或 ") + "，实际为 " + k.Got
	case *kind.Enum:
		got := display(k.Got)
		if len(k.Want) <= maxDisplayedEnumAlternate {
			alts := make([]string, len(k.Want))
			for i, w := range k.Want {
				alts[i] = display(w)
			}
			return "value " + got + " is not allowed; want one of " + strings.Join(alts, ", "),
				"取值不在允许范围内：" + got + "（允许值：" + strings.Join(alts, "、") + "）"
		}
		n := strconv.Itoa(len(k.Want))
		return "value " + got + " is not one of the " + n + " allowed values",
			"取值不在允许范围内：" + got + "（共 " + n + " 个允许值）"
	case *kind.Const:
		return "value must be " + display(k.Want) + ", got " + display(k.Got),
			"取值应为 " + display(k.Want) + "，实际为 " + display(k.Got)
	case *kind.Pattern:
		return "value " + display(k.Got) + " does not match pattern " + k.Want,
			"格式不符合要求：" + display(k.Got) + " 应匹配 " + k.Want
	case *kind.Format:
		if k.Want == "date" {
			return "value " + display(k.Got) + " is not a valid date (YYYY-MM-DD)",
				"日期格式应为 YYYY-MM-DD，且须为有效日期：" + display(k.Got)
		}
		return "value " + display(k.Got) + " is not a valid " + k.Want,
			"格式不符合 " + k.Want + " 要求：" + display(k.Got)
	case *kind.Minimum:
		return "value " + ratString(k.Got) + " is less than the minimum " + ratString(k.Want),
			"数值不得小于 " + ratString(k.Want) + "，实际为 " + ratString(k.Got)
	case *kind.Maximum:
		return "value " + ratString(k.Got) + " is greater than the maximum " + ratString(k.Want),
			"数值不得大于 " + ratString(k.Want) + "，实际为 " + ratString(k.Got)
	case *kind.ExclusiveMinimum:
		return "value " + ratString(k.Got) + " must be greater than " + ratString(k.Want),
			"数值必须大于 " + ratString(k.Want) + "，实际为 " + ratString(k.Got)
	case *kind.ExclusiveMaximum:
		return "value " + ratString(k.Got) + " must be less than " + ratString(k.Want),
			"数值必须小于 " + ratString(k.Want) + "，实际为 " + ratString(k.Got)
	case *kind.MinLength:
		return fmt.Sprintf("too short: %d characters, minimum %d", k.Got, k.Want),
			fmt.Sprintf("长度不得少于 %d 个字符，实际为 %d 个", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("too long: %d characters, maximum %d", k.Got, k.Want),
			fmt.Sprintf("长度不得超过 %d 个字符，实际为 %d 个", k.Want, k.Got)
	case *kind.MinItems:
		return fmt.Sprintf("too few items: %d, minimum %d", k.Got, k.Want),
			fmt.Sprintf("至少应有 %d 项，实际为 %d 项", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("too many items: %d, maximum %d", k.Got, k.Want),
			fmt.Sprintf("最多允许 %d 项，实际为 %d 项", k.Want, k.Got)
	case *kind.MinProperties:
		return fmt.Sprintf("too few properties: %d, minimum %d", k.Got, k.Want),
			fmt.Sprintf("至少应有 %d 个字段，实际为 %d 个", k.Want, k.Got)
	case *kind.MaxProperties:
		return fmt.Sprintf("too many properties: %d, maximum %d", k.Got, k.Want),
			fmt.Sprintf("最多允许 %d 个字段，实际为 %d 个", k.Want, k.Got)
	case *kind.UniqueItems:
		return fmt.Sprintf("items at %d and %d are equal", k.Duplicates[0], k.Duplicates[1]),
			fmt.Sprintf("第 %d 项与第 %d 项重复", k.Duplicates[0], k.Duplicates[1])
	case *kind.AnyOf, *kind.OneOf:
		return k.LocalizedString(enPrinter), "不符合任一允许的结构"
	case *kind.FalseSchema:
		return "value is not allowed here", "此处不允许出现该值"
	case *kind.InvalidJsonValue:
		return fmt.Sprintf("value of Go type %T is not a JSON value", k.Value), "不是有效的 JSON 值"
	}
	return k.LocalizedString(enPrinter), msgZhFallback
}

// display renders an instance value for a message: strings quoted and truncated, numbers and
// literals as JSON, objects and arrays by kind only.
func display(v any) string {
	switch v := v.(type) {
	case string:
		return quote(truncate(v))
	case json.Number:
		return truncate(v.String())
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return truncate(fmt.Sprint(v))
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return truncate(r.FloatString(6))
}

func quote(s string) string { return "'" + s + "'" }

// truncate shortens s to maxDisplayedValueRunes runes so a huge value cannot blow up a message.
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxDisplayedValueRunes {
		return s
	}
	i, n := 0, 0
	for i = range s {
		if n == maxDisplayedValueRunes {
			break
		}
		n++
	}
	return s[:i] + "…"
}

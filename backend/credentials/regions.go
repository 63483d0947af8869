package credentials

// Region is a Tencent Cloud region with its display names.
type Region struct {
	// ID is the API region ID, e.g. "ap-guangzhou".
	ID string
	// NameZH is the Simplified Chinese display name.
	NameZH string
	// NameEN is the English display name.
	NameEN string
}

// knownRegions is the offline list. Online, the app asks KMS GetRegions;
// this list only fills the picker before that answer arrives (or without
// network). Source: the Go SDK's common/regions constants and Tencent Cloud's
// region list (see docs/CREDENTIALS.md).
var knownRegions = []Region{
	{"ap-guangzhou", "广州", "Guangzhou"},
	{"ap-shanghai", "上海", "Shanghai"},
	{"ap-beijing", "北京", "Beijing"},
	{"ap-chengdu", "成都", "Chengdu"},
	{"ap-chongqing", "重庆", "Chongqing"},
	{"ap-nanjing", "南京", "Nanjing"},
	{"ap-shanghai-fsi", "上海金融", "Shanghai Finance"},
	{"ap-shenzhen-fsi", "深圳金融", "Shenzhen Finance"},
	{"ap-beijing-fsi", "北京金融", "Beijing Finance"},
	{"ap-hongkong", "中国香港", "Hong Kong, China"},
	{"ap-taipei", "中国台北", "Taipei, China"},
	{"ap-singapore", "新加坡", "Singapore"},
	{"ap-bangkok", "曼谷", "Bangkok"},
	{"ap-jakarta", "雅加达", "Jakarta"},
	{"ap-seoul", "首尔", "Seoul"},
	{"ap-tokyo", "东京", "Tokyo"},
	{"ap-mumbai", "孟买", "Mumbai"},
	{"eu-frankfurt", "法兰克福", "Frankfurt"},
	{"na-siliconvalley", "硅谷", "Silicon Valley"},
	{"na-ashburn", "弗吉尼亚", "Virginia"},
	{"na-toronto", "多伦多", "Toronto"},
	{"sa-saopaulo", "圣保罗", "São Paulo"},
}

// KnownRegions returns the offline region list (a fresh copy), Chinese
// mainland regions first.
func KnownRegions() []Region {
	out := make([]Region, len(knownRegions))
	copy(out, knownRegions)
	return out
}

// RegionName returns the display name of a region in the given language
// ("zh-CN" or anything else for English), or the ID itself when the region
// is not in the offline list.
func RegionName(id, language string) string {
	for _, r := range knownRegions {
		if r.ID == id {
			if language == LanguageZhCN {
				return r.NameZH
			}
			return r.NameEN
		}
	}
	return id
}

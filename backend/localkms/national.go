package localkms

import "slices"

// What a region offers. A standard region has AES-256 symmetric keys and every
// asymmetric usage; a national-standard (国密) region, like Tencent Cloud's SM
// regions, has SM4 symmetric keys, SM2 and RSA_2048 decryption keys and SM2
// signing keys (the ListAlgorithms example of the API documentation, which was
// taken in such a region). The Algorithm names are the ones ListAlgorithms
// answers; the SDK documentation lists no ECDSA-384 name, so "ECDSA384_SHA384"
// (the name in the newer API specification) is used for it and for its signing
// algorithm.

// Algorithm names of ListAlgorithms.
const (
	algNameAES256   = "AES_256"
	algNameSM4      = "SM4"
	algNameRSA2048  = "RSA_2048"
	algNameSM2      = "SM2"
	algNameECC      = "ECC"
	algNameECDSA384 = "ECDSA384_SHA384"
)

// regionKind says in which regions an algorithm is offered.
type regionKind uint8

const (
	inStandard regionKind = 1 << iota // standard regions
	inNational                        // national-standard regions
	inBoth     = inStandard | inNational
)

// offers is every (KeyUsage, Algorithm) pair of ListAlgorithms, in answer order, with
// its list (0 symmetric, 1 asymmetric decryption, 2 signing) and its regions.
var offers = []struct {
	list    int
	info    algorithmInfo
	regions regionKind
}{
	{0, algorithmInfo{usageEncryptDecrypt, algNameAES256}, inStandard},
	{0, algorithmInfo{usageEncryptDecrypt, algNameSM4}, inNational},
	{1, algorithmInfo{usageSM2Decrypt, algNameSM2}, inBoth},
	{1, algorithmInfo{usageRSADecrypt, algNameRSA2048}, inBoth},
	{2, algorithmInfo{usageSM2Sign, algNameSM2}, inBoth},
	{2, algorithmInfo{usageRSASign, algNameRSA2048}, inStandard},
	{2, algorithmInfo{usageECCSign, algNameECC}, inStandard},
	{2, algorithmInfo{usageECDSA384Sign, algNameECDSA384}, inStandard},
}

// algorithmsIn is the ListAlgorithms answer of the regions of kind.
func algorithmsIn(kind regionKind) algorithmsResult {
	var lists [3][]algorithmInfo
	for _, o := range offers {
		if o.regions&kind != 0 {
			lists[o.list] = append(lists[o.list], o.info)
		}
	}
	return algorithmsResult{SymmetricAlgorithms: lists[0], AsymmetricAlgorithms: lists[1], AsymmetricSignVerifyAlgorithms: lists[2]}
}

var (
	standardAlgorithms = algorithmsIn(inStandard)
	nationalAlgorithms = algorithmsIn(inNational)
)

// nationalStandard reports whether region runs in national-standard mode.
func (s *Server) nationalStandard(region string) bool { return s.national[region] }

// regionAlgorithms is what region offers (the ListAlgorithms answer).
func (s *Server) regionAlgorithms(region string) *algorithmsResult {
	if s.nationalStandard(region) {
		return &nationalAlgorithms
	}
	return &standardAlgorithms
}

// offers reports whether region offers keys of usage.
func (s *Server) offers(region, usage string) bool {
	a := s.regionAlgorithms(region)
	has := func(list []algorithmInfo) bool {
		return slices.ContainsFunc(list, func(i algorithmInfo) bool { return i.KeyUsage == usage })
	}
	return has(a.SymmetricAlgorithms) || has(a.AsymmetricAlgorithms) || has(a.AsymmetricSignVerifyAlgorithms)
}

// symmetricSpec is the spec of symmetric keys created in region.
func (s *Server) symmetricSpec(region string) string {
	if s.nationalStandard(region) {
		return specSM4
	}
	return specAES256
}

func errUsageNotOffered(usage string) *apiError {
	return apiErr(codeUnsupportedKeyUsage,
		"The KeyUsage "+usage+" is not offered in this region (see ListAlgorithms).",
		"该地域不支持 KeyUsage "+usage+"（请参考 ListAlgorithms）。")
}

// libFuzzer target: what lifelined reads from attestation files (docs/trust.md) must take any
// bytes without crashing: the minisign signature parser and verifier, the attestation YAML
// parser, and the whole evaluation. Input: the attestation's bytes, a NUL, the .minisig text.
// The seeds are signed with the key below (a throwaway key, generated for the corpus), so the
// fuzzer starts from inputs that get past the signature and into the YAML.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/utc_time.hpp"
#include "config/minisign_key.hpp"
#include "links/attestation.hpp"

namespace {

using namespace lifeline;

const config::TrustConfig& trust() {
  static const config::TrustConfig t = [] {
    config::TrustConfig c;
    std::string error;
    const auto key = parse_minisign_public_key("RWTkSgGBy/pisYxu4lOLRmq3isP3oTFCKy32Itj2iyjKMS/v5pkue5Kx", error);
    config::TrustAuthority a;
    a.name = "fuzz";
    a.key_id = key->key_id;
    a.key = key->key;
    c.authorities.push_back(a);
    c.untrusted_vendors = {"Huawei"};
    return c;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const auto file = input.substr(0, nul);
  const auto sig = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  std::string error;
  (void)links::parse_attestation(file, error);
  (void)links::parse_minisig(sig, error);
  (void)utc::parse(file.substr(0, 40));
  (void)decode_base64(sig.substr(0, 200));
  const auto now = *utc::parse("2026-11-29T12:00:00Z");
  (void)links::evaluate_attestation(file, sig, "5g", trust(), 3, now);
  return 0;
}

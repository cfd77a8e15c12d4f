// lifeline-attest: check a vendor attestation the way lifelined will, before installing it
// (docs/trust.md). verify: the signature against the configured authorities (or a key given
// here), the validity window, the link, and the vendors; inspect: what the file and its
// signature say, without judging.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/secret_file.hpp"
#include "common/utc_time.hpp"
#include "config/loader.hpp"
#include "config/minisign_key.hpp"
#include "links/attestation.hpp"

namespace {

using namespace lifeline;

const char* kDescription = R"TEXT(lifeline-attest: check a signed vendor attestation before lifelined uses it.

An attestation is a YAML file from the link's operator (which vendors' equipment serves the
link), signed with minisign by an authority whose public key is in lifelined's configuration
(trust.authorities); the signature is FILE.minisig. lifelined checks the signature over the
exact bytes before reading anything else, then the link, the validity window, the serial and
the vendors against trust.untrusted_vendors.

  lifeline-attest verify /etc/lifeline/attestations/5g.yaml
  lifeline-attest verify 5g.yaml --pubkey RWQ... --untrusted Huawei --untrusted ZTE
  lifeline-attest inspect 5g.yaml

Exit codes (verify): 0 attested; 1 not attested (unattested or violating: the reason is
printed); 2 usage error or an unreadable configuration. inspect: 0, or 1 if the file or its
signature cannot be read. See docs/trust.md.)TEXT";

void print(const links::Attestation& a) {
  std::cout << "operator   " << a.operator_name << "\nlink       " << a.link << "\nserial     " << a.serial
            << "\nissued     " << utc::format(a.issued) << "\nvalid      "
            << utc::format(a.not_before) << " to " << utc::format(a.expires)
            << "\nequipment\n";
  for (const auto& e : a.equipment) {
    std::cout << "  " << e.role << ": " << e.vendor << (e.model.empty() ? "" : " " + e.model)
              << (e.firmware_sha256.empty() ? "" : " (firmware sha256 " + e.firmware_sha256 + ")") << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifeline-attest"};
  app.require_subcommand(1);
  std::string file, config_path = "/etc/lifeline/lifeline.yaml", link;
  std::vector<std::string> pubkeys, untrusted;
  auto* verify = app.add_subcommand("verify", "judge FILE as lifelined would (exit 0 only if attested)");
  verify->add_option("file", file, "the attestation (its signature: FILE.minisig)")->required();
  verify->add_option("--config", config_path, "take the authorities and untrusted vendors from this config")
      ->capture_default_str();
  verify->add_option("--pubkey", pubkeys,
                     "an authority's minisign public key (the RWQ... line; repeat for more) instead of "
                     "--config's");
  verify->add_option("--untrusted", untrusted, "an untrusted vendor (repeat) with --pubkey");
  verify->add_option("--link", link, "the link it must be for (default: the one it names)");
  auto* inspect = app.add_subcommand("inspect", "print what FILE and FILE.minisig say, without judging");
  inspect->add_option("file", file, "the attestation")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  std::string error;
  const auto bytes = read_named_file(file, 1 << 20, error);
  if (!bytes) {
    std::cerr << "lifeline-attest: " << file << ": " << error << "\n";
    return inspect->parsed() ? 1 : 2;
  }
  std::string sig_error;
  const auto sig = read_named_file(file + ".minisig", 4096, sig_error);

  if (inspect->parsed()) {
    int rc = 0;
    if (sig) {
      if (const auto s = links::parse_minisig(*sig, sig_error)) {
        std::cout << "signature  " << (s->prehashed ? "pre-hashed (BLAKE2b-512)" : "legacy") << ", key id "
                  << minisign_key_id_hex(s->key_id) << "\ntrusted    " << s->trusted_comment << "\n";
      } else {
        std::cout << "signature  unreadable: " << sig_error << "\n";
        rc = 1;
      }
    } else {
      std::cout << "signature  none: " << file << ".minisig " << sig_error << "\n";
      rc = 1;
    }
    if (const auto a = links::parse_attestation(*bytes, error)) {
      print(*a);
    } else {
      std::cout << "attestation unreadable: " << error << "\n";
      rc = 1;
    }
    return rc;
  }

  config::TrustConfig trust;
  if (!pubkeys.empty()) {
    for (std::size_t i = 0; i < pubkeys.size(); ++i) {
      const auto key = parse_minisign_public_key(pubkeys[i], error);
      if (!key) {
        std::cerr << "lifeline-attest: --pubkey " << pubkeys[i] << ": " << error << "\n";
        return 2;
      }
      config::TrustAuthority a;
      a.name = "key " + minisign_key_id_hex(key->key_id);
      a.public_key = pubkeys[i];
      a.key_id = key->key_id;
      a.key = key->key;
      trust.authorities.push_back(a);
    }
    trust.untrusted_vendors = untrusted;
  } else {
    const auto loaded = config::load_config_file(config_path);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
      std::cerr << "lifeline-attest: cannot use " << config_path << " (or give --pubkey)\n";
      return 2;
    }
    trust = loaded.config->trust;
  }
  if (link.empty()) {
    if (const auto a = links::parse_attestation(*bytes, error)) link = a->link;
  }
  const auto v = links::judge_attestation_file(file, link, trust, std::nullopt, std::chrono::system_clock::now());
  if (v.attestation) print(*v.attestation);
  std::cout << links::to_string(v.trust) << ": " << v.reason << "\n";
  return v.trust == links::Trust::attested ? 0 : 1;
}

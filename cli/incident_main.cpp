// lifeline-incident: the security cell's tool for incident reports (docs/incidents.md): make
// a base's Ed25519 signing key, sign a report and publish it on lifeline-channel as lifelined
// does (three frames: "incident", the JSON, the signature), or check a report's signature.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "common/secret_file.hpp"
#include "common/utc_time.hpp"
#include "config/minisign_key.hpp"
#include "controller/trust_files.hpp"
#include "links/attestation.hpp"
#include "links/incident.hpp"
#include "zmq/curve_keys.hpp"

namespace {

using namespace lifeline;

const char* kDescription = R"TEXT(lifeline-incident: signed cyber-incident reports for lifeline-channel.

Every base signs its reports with its own Ed25519 key; lifelined counts a report only if one of
its incidents.allowed_reporters keys verifies it (the channel's CURVE keeps strangers off the
channel; the signature proves who wrote the report, through any number of channels).

  lifeline-incident keygen /etc/lifeline/keys/incidents.sign
      writes a new secret key (mode 0600, never overwrites) and prints the public key for
      the other bases' incidents.allowed_reporters
  lifeline-incident publish report.json --channel tcp://198.18.50.1:7444 --server-key KEY \
      --curve-key-file /etc/lifeline/keys/incidents.curve --signing-key-file FILE --reporter NAME
      signs the report (filling in id, time and reporter when missing) and publishes it
  lifeline-incident verify report.json SIGNATURE_BASE64 --public-key KEY
      exit 0 if KEY's signature over the file's exact bytes is SIGNATURE

Exit codes: 0 ok; 1 runtime failure (the channel cannot be reached, the signature does not
verify); 2 usage error, a report that is not valid, a key file that cannot be used.)TEXT";

int keygen(const std::string& path) {
  const auto pair = links::generate_signing_key();
  if (pair.secret_key.empty()) {
    std::cerr << "lifeline-incident: libsodium could not be initialised\n";
    return 1;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "lifeline-incident: " << path << ": " << std::strerror(errno)
              << (errno == EEXIST ? " (refusing to overwrite a key)" : "") << "\n";
    return 2;
  }
  const std::string text = "# lifeline incident signing key (Ed25519, base64); public key " + pair.public_key + "\n" +
                           pair.secret_key + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::cerr << "lifeline-incident: " << path << ": cannot write the key\n";
    ::unlink(path.c_str());
    return 1;
  }
  std::cout << pair.public_key << "\n";
  return 0;
}

// The report to send: the file's JSON with id (random), time (now) and reporter filled in
// when missing, checked as lifelined will check it.
std::optional<std::string> complete_report(const std::string& text, const std::string& reporter, std::string& error) {
  auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  if (!j.contains("id")) {
    std::random_device rd;
    std::ostringstream id;
    for (int i = 0; i < 4; ++i) id << std::hex << std::setw(8) << std::setfill('0') << rd();
    j["id"] = id.str();
  }
  if (!j.contains("time")) {
    j["time"] = utc::format(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  }
  if (!j.contains("reporter")) {
    if (reporter.empty()) {
      error = "the report names no reporter; give --reporter";
      return std::nullopt;
    }
    j["reporter"] = reporter;
  }
  std::string out = j.dump();
  auto parsed = links::parse_incident(out);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    error = *why;
    return std::nullopt;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifeline-incident"};
  app.require_subcommand(1);
  std::string key_path, report_path, channel, server_key, curve_key_file, signing_key_file, reporter, signature,
      public_key;
  double settle = 1.0;
  auto* keygen_cmd = app.add_subcommand("keygen", "write a new signing key to FILE; print its public key");
  keygen_cmd->add_option("file", key_path, "where the secret key goes (mode 0600)")->required();
  auto* publish = app.add_subcommand("publish", "sign REPORT and publish it on the channel");
  publish->add_option("report", report_path, "the report (JSON, docs/incidents.md)")->required();
  publish->add_option("--channel", channel, "the channel's XSUB side: tcp://address:port or ipc:///path")->required();
  publish->add_option("--server-key", server_key, "the channel's CURVE public key (Z85; required for tcp://)");
  publish->add_option("--curve-key-file", curve_key_file, "our CURVE key pair (lifelinectl keygen)");
  publish->add_option("--signing-key-file", signing_key_file, "our Ed25519 secret key (lifeline-incident keygen)")
      ->required();
  publish->add_option("--reporter", reporter, "our name, as the other bases list it (when the report has none)");
  publish->add_option("--settle", settle, "seconds to let the connection come up before sending")->capture_default_str();
  auto* verify = app.add_subcommand("verify", "check SIGNATURE over REPORT's exact bytes");
  verify->add_option("report", report_path, "the report as sent")->required();
  verify->add_option("signature", signature, "the signature, base64")->required();
  verify->add_option("--public-key", public_key, "the reporter's public key (base64)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (keygen_cmd->parsed()) return keygen(key_path);

  std::string error;
  const auto text = read_named_file(report_path, links::kMaxIncidentBytes, error);
  if (!text) {
    std::cerr << "lifeline-incident: " << report_path << ": " << error << "\n";
    return 2;
  }
  if (verify->parsed()) {
    config::IncidentReporter who{std::string(links::claimed_reporter(*text).value_or("")), public_key, {}};
    const auto key = links::decode_public_key(public_key);
    const auto sig = decode_base64(signature);
    if (!key || !sig) {
      std::cerr << "lifeline-incident: the public key or the signature is not base64 of the right length\n";
      return 2;
    }
    who.key = *key;
    const bool ok = links::verify_incident(*text, std::string(sig->begin(), sig->end()), {who}) != nullptr;
    std::cout << (ok ? "signature verifies\n" : "signature does NOT verify\n");
    return ok ? 0 : 1;
  }

  // publish: complete the report, check it as lifelined will, sign it, send it.
  auto draft = complete_report(*text, reporter, error);
  if (!draft) {
    std::cerr << "lifeline-incident: " << report_path << ": " << error << "\n";
    return 2;
  }
  const auto key = trust::load_signing_key(signing_key_file, error);
  if (!key) {
    std::cerr << "lifeline-incident: " << signing_key_file << ": " << error << "\n";
    return 2;
  }
  std::optional<curve::KeyPair> curve_keys;
  if (!server_key.empty()) {
    curve_keys = curve::load_key_file(curve_key_file, error);
    if (!curve_keys) {
      std::cerr << "lifeline-incident: --curve-key-file " << curve_key_file << ": " << error << "\n";
      return 2;
    }
  } else if (channel.starts_with("tcp://")) {
    std::cerr << "lifeline-incident: a tcp:// channel needs --server-key and --curve-key-file\n";
    return 2;
  }
  const std::string sig = links::sign_incident(*draft, *key);
  // What lifelined will do with it: find the reporter the bytes name, check that key.
  const auto claimed = links::claimed_reporter(*draft);
  if (!claimed) {
    std::cerr << "lifeline-incident: the report's reporter field cannot be found as lifelined looks for it\n";
    return 2;
  }
  try {
    zmq::context_t context(1);
    zmq::socket_t pub(context, zmq::socket_type::pub);
    pub.set(zmq::sockopt::linger, 3000);
    if (curve_keys) {
      pub.set(zmq::sockopt::curve_serverkey, server_key);
      pub.set(zmq::sockopt::curve_publickey, curve_keys->public_key);
      pub.set(zmq::sockopt::curve_secretkey, curve_keys->secret_key);
    }
    pub.connect(channel);
    // PUB sends nothing before the connection is up (and the channel has subscribed).
    std::this_thread::sleep_for(std::chrono::duration<double>(settle));
    pub.send(zmq::buffer(links::kIncidentTopic), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(*draft), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(sig), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    std::cerr << "lifeline-incident: " << channel << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << *draft << "\n";
  return 0;
}

#include "controller/trust_files.hpp"

#include "common/secret_file.hpp"
#include "links/incident.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lifeline::trust {

std::map<std::string, std::uint64_t> load_serials(const std::string& path, std::string& error) {
  std::map<std::string, std::uint64_t> out;
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT) error = path + ": " + std::strerror(errno);
    return out;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string link;
    std::uint64_t serial = 0;
    if (!(fields >> link >> serial)) {
      error = path + ":" + std::to_string(number) + ": expected 'LINK SERIAL'; line ignored";
      continue;
    }
    out[link] = serial;
  }
  if (in.bad()) error = path + ": cannot be read";
  return out;
}

bool save_serials(const std::string& path, const std::map<std::string, std::uint64_t>& serials,
                  std::string& error) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      error = tmp + ": " + std::strerror(errno);
      return false;
    }
    out << "# lifelined: the highest attestation serial accepted per link (docs/trust.md)\n";
    for (const auto& [link, serial] : serials) out << link << ' ' << serial << '\n';
    out.flush();
    if (!out) {
      error = tmp + ": write failed";
      return false;
    }
  }
  // On the disk before the rename: after a power loss the file is the old one or the new
  // one, never an empty one (which would turn rollback protection off).
  if (const int fd = ::open(tmp.c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<std::array<std::uint8_t, 64>> load_signing_key(const std::string& path, std::string& error) {
  const auto text = read_secret_file(path, 4096, error);
  if (!text) return std::nullopt;
  const auto lines = key_file_lines(text->view());
  if (lines.size() != 1) {
    error = lines.empty() ? "holds no key" : "holds more than one key line";
    return std::nullopt;
  }
  auto key = links::decode_secret_key(lines[0].text);
  if (!key) error = at_key_file_line(lines[0].number, "is not an Ed25519 secret key (lifeline-incident keygen writes one)");
  return key;
}

}  // namespace lifeline::trust

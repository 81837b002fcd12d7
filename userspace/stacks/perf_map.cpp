#include "perf_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <map>
#include <string_view>

namespace zctrace {
namespace {

std::optional<std::string> ReadRegularFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the file type is checked before any read.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return std::nullopt;
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    close(fd);
    return std::nullopt;
  }
  std::string contents;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      close(fd);
      return std::nullopt;
    }
    if (got == 0)
      break;
    contents.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  return contents;
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

// A hex number at the front of text, with or without 0x, then at least one blank; text moves past them.
std::optional<uint64_t> TakeHex(std::string_view* text) {
  std::string_view rest = *text;
  if (rest.size() >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'))
    rest.remove_prefix(2);
  uint64_t value = 0;
  size_t digits = 0;
  for (; digits < rest.size(); ++digits) {
    const char c = rest[digits];
    unsigned digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      digit = static_cast<unsigned>(c - 'A' + 10);
    else
      break;
    if (value >> 60 != 0)
      return std::nullopt;  // more than 64 bits
    value = value << 4 | digit;
  }
  if (digits == 0 || digits == rest.size() || !IsBlank(rest[digits]))
    return std::nullopt;
  rest.remove_prefix(digits);
  while (!rest.empty() && IsBlank(rest.front()))
    rest.remove_prefix(1);
  *text = rest;
  return value;
}

}  // namespace

std::optional<PerfMap> PerfMap::Load(const std::string& path) {
  const std::optional<std::string> contents = ReadRegularFile(path);
  if (!contents)
    return std::nullopt;

  PerfMap map;
  // The uncovered parts of the entries so far, by start. Each new entry takes its range from them.
  std::map<uint64_t, Range> pieces;
  std::string_view text = *contents;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    while (!line.empty() && (line.back() == '\r' || IsBlank(line.back())))
      line.remove_suffix(1);
    while (!line.empty() && IsBlank(line.front()))
      line.remove_prefix(1);

    const std::optional<uint64_t> start = TakeHex(&line);
    const std::optional<uint64_t> size = start ? TakeHex(&line) : std::nullopt;
    if (!size || *size == 0 || *start + *size < *start || line.empty())
      continue;
    const uint64_t end = *start + *size;
    const size_t entry = map.entries_.size();
    map.entries_.push_back(Entry{*start, std::string(line)});

    // A piece that starts before the new range and runs into it keeps its head, and its tail past the end.
    auto at = pieces.lower_bound(*start);
    if (at != pieces.begin()) {
      Range& before = std::prev(at)->second;
      if (before.end > *start) {
        if (before.end > end)
          pieces[end] = Range{end, before.end, before.entry};
        before.end = *start;
      }
    }
    // Pieces that start inside the new range lose what it covers.
    at = pieces.lower_bound(*start);
    while (at != pieces.end() && at->first < end) {
      const Range covered = at->second;
      at = pieces.erase(at);
      if (covered.end > end) {
        pieces[end] = Range{end, covered.end, covered.entry};
        break;
      }
    }
    pieces[*start] = Range{*start, end, entry};
  }

  map.ranges_.reserve(pieces.size());
  for (const auto& piece : pieces)
    map.ranges_.push_back(piece.second);
  return map;
}

std::optional<ElfSymbol> PerfMap::Symbolize(uint64_t address) const {
  const auto after = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                                      [](uint64_t value, const Range& range) { return value < range.start; });
  if (after == ranges_.begin())
    return std::nullopt;
  const Range& range = *std::prev(after);
  if (address >= range.end)
    return std::nullopt;
  const Entry& entry = entries_[range.entry];
  return ElfSymbol{entry.name, entry.start, address - entry.start};
}

}  // namespace zctrace

#include "strategies/option.hpp"

#include <cctype>

namespace sharebench {

std::uint64_t parse_size(std::string_view flag, std::string_view text) {
  std::string_view digits = text;
  std::uint64_t unit = 1;
  if (!digits.empty()) {
    const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
    if (const auto at = std::string_view("KMG").find(suffix); at != std::string_view::npos) {
      unit = std::uint64_t{1} << (10 * (at + 1));
      digits.remove_suffix(1);
    }
  }
  constexpr std::uint64_t kMax = std::uint64_t{1} << 40;
  const std::string quoted = std::string(flag) + ": '" + std::string(text) + "'";
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    throw Error(quoted + " is not a size; give bytes with an optional K, M or G, e.g. 512M");
  }
  if (n == 0 || n > kMax / unit) throw Error(quoted + " is out of range; accepted: 1 byte to 1T");
  return n * unit;
}

std::string parse_choice(std::string_view flag, std::string_view text, std::string_view what,
                         std::initializer_list<std::string_view> choices) {
  std::string accepted;
  for (std::string_view choice : choices) {
    if (choice == text) return std::string(text);
    accepted.append(accepted.empty() ? "" : ", ").append(choice);
  }
  throw Error(std::string(flag) + ": unknown " + std::string(what) + " '" + std::string(text) +
              "'; accepted: " + accepted);
}

OptionValue any_text(std::string_view, std::string_view text) { return std::string(text); }

OptionValue parse_pipeline(std::string_view flag, std::string_view text) {
  return parse_integer<std::uint64_t>(flag, text, 1, 1024);
}

OptionValue parse_add_mode(std::string_view flag, std::string_view text) {
  return parse_choice(flag, text, "mode", {"atomic", "rmw"});
}

}  // namespace sharebench

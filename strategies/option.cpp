#include "strategies/option.hpp"

#include <algorithm>
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

std::string whole_number_digits(std::string_view text) {
  std::size_t at = 0;
  auto take_digits = [&] {
    const std::size_t start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    return text.substr(start, at - start);
  };
  const bool negative = at < text.size() && text[at] == '-';
  if (negative) ++at;
  const std::string_view whole_part = take_digits();
  std::string_view fraction;
  if (at < text.size() && text[at] == '.') {
    ++at;
    fraction = take_digits();
  }
  if (whole_part.empty() && fraction.empty()) return "";
  long exponent = 0;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    const bool negative_exponent = at < text.size() && text[at] == '-';
    if (at < text.size() && (text[at] == '-' || text[at] == '+')) ++at;
    const std::string_view exponent_digits = take_digits();
    if (exponent_digits.empty() || exponent_digits.size() > 4) return "";
    std::from_chars(exponent_digits.data(), exponent_digits.data() + exponent_digits.size(), exponent);
    if (negative_exponent) exponent = -exponent;
  }
  if (at != text.size()) return "";
  // The number is `mantissa` x 10^shift, mantissa the digits without the point.
  std::string mantissa = std::string(whole_part) + std::string(fraction);
  long shift = exponent - static_cast<long>(fraction.size());
  for (; shift < 0; ++shift) {
    if (mantissa.back() != '0') return "";  // a digit below the units: a fraction
    mantissa.pop_back();
    if (mantissa.empty()) return "0";
  }
  mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size() - 1));
  // Past 40 digits every integer type is out of range: no need to write them all.
  if (mantissa != "0") mantissa.append(static_cast<std::size_t>(std::min(shift, 41L)), '0');
  return (negative && mantissa != "0" ? "-" : "") + mantissa;
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

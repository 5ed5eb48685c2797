// A strategy's own command-line options. Each strategy lists OptionSpecs beside its code and
// names the list in its registry row; the CLI registers, checks and reports them by walking
// the registry, as YCSB bindings read their own properties, so the harness names none of
// them. The factory receives the texts the user gave (StrategyOptions::given) and reads each
// option through its spec, which parses the text or the default.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "common/error.hpp"

namespace sharebench {

// An option's value as the strategy reads it and the report's context.settings shows it.
using OptionValue = std::variant<std::string, std::uint64_t>;

struct OptionSpec {
  std::string_view flag;  // "--pipeline"; one flag may be listed by several strategies
  std::string_view placeholder;  // "K" in `--pipeline K`
  std::string_view help;  // one line; --help shows it under the strategy's name
  std::string_view default_text;  // the value when the option is not given, as a user types it
  std::string_view json_name;  // its field in the report's context.settings
  // Checks a text and returns its value; throws Error "FLAG: 'TEXT' ...; accepted: ...".
  OptionValue (*parse)(std::string_view flag, std::string_view text);
  bool read_by_serve = false;  // `sharebench serve` reads it too: serve --help lists it
};

// The digits of the whole number `text` writes in decimal or scientific notation ("1e5",
// "2.5e3", "100000.0" give "100000", "2500", "100000"), or "" if it writes none: a fraction
// (1.5, 1e-3) or not a number. Exact: no rounding through a double.
std::string whole_number_digits(std::string_view text);

// `text` as a whole number from min to max, else Error naming `flag` and the range. It may
// be written 100000 or, when exactly whole, 1e5 (as --help writes ranges: 1..1e9).
template <typename Int>
Int parse_integer(std::string_view flag, std::string_view text, Int min, Int max) {
  std::string digits(text);
  if (text.find_first_of(".eE") != std::string_view::npos) digits = whole_number_digits(text);
  Int value{};
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool whole = !digits.empty() && end == digits.data() + digits.size();
  const std::string range = "; accepted: " + std::to_string(min) + " to " + std::to_string(max);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && whole && (value < min || value > max))) {
    throw Error(std::string(flag) + ": '" + std::string(text) + "' is out of range" + range);
  }
  if (ec != std::errc() || !whole) {
    throw Error(std::string(flag) + ": '" + std::string(text) + "' is not a whole number" + range);
  }
  return value;
}

// "64M", "2G", "4096": bytes, with an optional K, M or G (powers of 1024), 1 byte to 1T.
std::uint64_t parse_size(std::string_view flag, std::string_view text);

// `text` if it is one of `choices`, else Error "FLAG: unknown WHAT 'TEXT'; accepted: a, b".
std::string parse_choice(std::string_view flag, std::string_view text, std::string_view what,
                         std::initializer_list<std::string_view> choices);

// OptionSpec::parse for a text the strategy checks itself in check_options(), where it knows
// what the text must name (a path, a URL, an endpoint of the chosen transport).
OptionValue any_text(std::string_view flag, std::string_view text);

// --pipeline, read by every strategy that pipelines requests to a server: one flag, one value.
OptionValue parse_pipeline(std::string_view flag, std::string_view text);
inline constexpr OptionSpec kPipelineOption{"--pipeline", "K",
                                            "requests in flight per worker (1 = synchronous, 1..1024)", "1",
                                            "pipeline", parse_pipeline};

// --add-mode, read by the strategies whose add can be either way: atomic, or a get then a put
// (as a Manager proxy's d[k] += 1 does). socket-manager is atomic unless told; py-manager is
// used as people write it, read-modify-write, unless --add-mode is given.
OptionValue parse_add_mode(std::string_view flag, std::string_view text);
inline constexpr OptionSpec kAddModeOption{
    "--add-mode", "MODE",
    "atomic (the server adds; py-manager: under a Manager().Lock()) or rmw (a get then a put, as Manager "
    "proxies do; py-manager's default)",
    "atomic", "add_mode", parse_add_mode};

}  // namespace sharebench

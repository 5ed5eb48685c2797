#include "harness/workload.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/hash.hpp"
#include "strategies/option.hpp"

namespace sharebench {
namespace {

constexpr std::uint64_t kValueSeed = 0x76616c7565736565ULL;

constexpr std::string_view kWorkloadNames[] = {"read", "read-zipf", "mixed", "update", "write", "counter"};

WorkloadSpec preset(std::string_view name, std::uint64_t keys, double get, double put, double add,
                    Distribution distribution, double hit_ratio, std::uint32_t counters) {
  WorkloadSpec spec;
  spec.name = std::string(name);
  spec.keys = keys;
  spec.get_ratio = get;
  spec.put_ratio = put;
  spec.add_ratio = add;
  spec.distribution = distribution;
  spec.hit_ratio = hit_ratio;
  spec.counter_keys = counters;
  return spec;
}

}  // namespace

std::span<const std::string_view> workload_names() { return kWorkloadNames; }

std::optional<WorkloadSpec> find_workload(std::string_view name) {
  using enum Distribution;
  // The StackOverflow benchmark: uniform gets, half of them for absent keys.
  if (name == "read") return preset(name, 1'000'000, 1, 0, 0, uniform, 0.5, 0);
  // YCSB C, B and A: zipfian, every read for a present record.
  if (name == "read-zipf") return preset(name, 1'000'000, 1, 0, 0, zipfian, 1, 0);
  if (name == "mixed") return preset(name, 100'000, 0.95, 0.05, 0, zipfian, 1, 0);
  if (name == "update") return preset(name, 100'000, 0.5, 0.5, 0, zipfian, 1, 0);
  if (name == "write") return preset(name, 100'000, 0, 1, 0, uniform, 1, 0);
  // The lost-update question: every worker adds 1 to one of 16 hot counters.
  if (name == "counter") return preset(name, 0, 0, 0, 1, uniform, 1, 16);
  return std::nullopt;
}

const char* to_string(Distribution distribution) {
  return distribution == Distribution::zipfian ? "zipfian" : "uniform";
}

namespace {
// log1p(x)/x and expm1(x)/x, accurate near 0.
double log1p_over_x(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x)); }
double expm1_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}
}  // namespace

ZipfianGenerator::ZipfianGenerator(std::uint64_t items, double theta)
    : items_(items),
      theta_(theta),
      h_integral_x1_(h_integral(1.5) - 1),
      h_integral_items_(h_integral(static_cast<double>(items) + 0.5)),
      s_(2 - h_integral_inverse(h_integral(2.5) - h(2))) {}

double ZipfianGenerator::h(double x) const { return std::exp(-theta_ * std::log(x)); }

double ZipfianGenerator::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over_x((1 - theta_) * log_x) * log_x;
}

double ZipfianGenerator::h_integral_inverse(double x) const {
  const double t = std::max(x * (1 - theta_), -1.0);
  return std::exp(log1p_over_x(t) * x);
}

std::uint64_t ZipfianGenerator::next(SplitMix64& rng) const {
  for (;;) {
    const double u = h_integral_items_ + rng.unit() * (h_integral_x1_ - h_integral_items_);
    const double x = h_integral_inverse(u);
    auto k = static_cast<std::uint64_t>(std::clamp(x + 0.5, 1.0, static_cast<double>(items_)));
    const auto kd = static_cast<double>(k);
    if (kd - x <= s_ || u >= h_integral(kd + 0.5) - h(kd)) return k - 1;
  }
}

std::uint64_t scramble(std::uint64_t rank, std::uint64_t items) {
  // FNV-1a over the rank's bytes, as YCSB does.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 8; ++i) {
    h ^= (rank >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h % items;
}

std::size_t format_data_key(std::uint64_t index, bool miss, char* out) {
  const auto [end, ec] = std::to_chars(out, out + kMaxKeySize, 2 * index + (miss ? 1 : 0));
  if (ec != std::errc()) throw Error("key index too large: " + std::to_string(index));
  return static_cast<std::size_t>(end - out);
}

std::string counter_key(std::uint32_t index) { return "counter:" + std::to_string(index); }

std::uint64_t value_key_hash(std::string_view key) { return hash64(key, kValueSeed); }

void fill_value(char* out, std::size_t size, std::uint64_t key_hash, std::uint64_t version) {
  std::memcpy(out, &version, sizeof version);
  const std::uint64_t word = pattern_word(key_hash, version);
  std::size_t i = sizeof version;
  for (; i + 8 <= size; i += 8) std::memcpy(out + i, &word, 8);
  std::memcpy(out + i, &word, size - i);
}

void validate(const WorkloadSpec& w, const std::string& source) {
  auto fail = [&](const std::string& what) { throw Error(source + ": " + what); };
  if (w.name.empty() || w.name.find_first_of("/, ") != std::string::npos) {
    fail("name '" + w.name + "' must be non-empty, without '/', ',' or spaces");
  }
  for (double r : {w.get_ratio, w.put_ratio, w.add_ratio, w.hit_ratio}) {
    if (!(r >= 0 && r <= 1)) fail("ratios must be between 0 and 1");
  }
  if (std::abs(w.get_ratio + w.put_ratio + w.add_ratio - 1) > 1e-6) {
    fail("get_ratio + put_ratio + add_ratio must be 1, not " + std::to_string(w.get_ratio + w.put_ratio + w.add_ratio));
  }
  if (w.uses_data_keys() && (w.keys < 1 || w.keys > 1'000'000'000)) fail("keys must be 1 to 1000000000");
  if (w.needs_add() && (w.counter_keys < 1 || w.counter_keys > 1'000'000)) fail("counter_keys must be 1 to 1000000");
  if (w.value_size < kMinValueSize || w.value_size > kMaxValueSize) {
    fail("value_size must be " + std::to_string(kMinValueSize) + " to " + std::to_string(kMaxValueSize));
  }
  if (!(w.zipf_theta > 0 && w.zipf_theta <= 10)) fail("zipf_theta must be greater than 0, at most 10");
}

std::vector<WorkloadSpec> read_workload_file(const std::string& path) {
  const std::string source = "workload file '" + path + "'";
  std::ifstream in(path);
  if (!in) throw Error(source + ": cannot be read");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not JSON (" + std::string(e.what()) + ")");
  }
  if (doc.is_object()) doc = nlohmann::json::array({doc});
  if (!doc.is_array() || doc.empty()) throw Error(source + ": expected a workload object or a non-empty array of them");
  std::vector<WorkloadSpec> specs;
  for (const nlohmann::json& item : doc) {
    if (!item.is_object()) throw Error(source + ": every workload must be a JSON object");
    WorkloadSpec w = *find_workload("read");
    w.name.clear();
    try {
      for (const auto& [field, value] : item.items()) {
        if (field == "name") w.name = value.get<std::string>();
        else if (field == "keys") w.keys = value.get<std::uint64_t>();
        else if (field == "value_size") w.value_size = value.get<std::uint32_t>();
        else if (field == "get_ratio") w.get_ratio = value.get<double>();
        else if (field == "put_ratio") w.put_ratio = value.get<double>();
        else if (field == "add_ratio") w.add_ratio = value.get<double>();
        else if (field == "hit_ratio") w.hit_ratio = value.get<double>();
        else if (field == "zipf_theta") w.zipf_theta = value.get<double>();
        else if (field == "counter_keys") w.counter_keys = value.get<std::uint32_t>();
        else if (field == "distribution") {
          const std::string d = value.get<std::string>();
          if (d != "uniform" && d != "zipfian") throw Error(source + ": distribution '" + d + "'; accepted: uniform, zipfian");
          w.distribution = d == "zipfian" ? Distribution::zipfian : Distribution::uniform;
        } else {
          throw Error(source + ": unknown field '" + field + "'");
        }
      }
    } catch (const nlohmann::json::exception&) {
      throw Error(source + ": a field has the wrong type (numbers for sizes and ratios, a string for name)");
    }
    validate(w, source);
    specs.push_back(w);
  }
  return specs;
}

DatasetShape shape_of(const WorkloadSpec& spec) {
  DatasetShape shape;
  shape.workload = spec.name;
  shape.keys = spec.keys;
  shape.counters = spec.counter_keys;
  // Keys are the decimal numbers 0, 2, ..., 2 * (keys - 1): count their digits by decade.
  std::uint64_t key_bytes = 0;
  const std::uint64_t largest = spec.keys == 0 ? 0 : 2 * (spec.keys - 1);
  for (std::uint64_t low = 0, digits = 1; spec.keys > 0 && low <= largest; low = low == 0 ? 10 : low * 10, ++digits) {
    const std::uint64_t high = std::min(largest, low == 0 ? 9 : low * 10 - 1);
    key_bytes += digits * ((high - (low + low % 2)) / 2 + 1);  // the even numbers in [low, high]
  }
  shape.payload_bytes = key_bytes + spec.keys * spec.value_size;
  shape.max_key_size = spec.keys > 0 ? std::to_string(largest).size() : 0;
  if (spec.counter_keys > 0) shape.max_key_size = std::max(shape.max_key_size, counter_key(spec.counter_keys - 1).size());
  shape.max_value_size = spec.value_size;
  return shape;
}

Dataset build_dataset(const WorkloadSpec& spec) {
  Dataset dataset;
  dataset.set_workload(spec.name);
  dataset.reserve(spec.keys, spec.keys * (8 + spec.value_size));
  std::string value(spec.value_size, '\0');
  char key[kMaxKeySize];
  for (std::uint64_t i = 0; i < spec.keys; ++i) {
    const std::string_view k(key, format_data_key(i, false, key));
    fill_value(value.data(), value.size(), value_key_hash(k), 0);
    dataset.add(k, value);
  }
  for (std::uint32_t c = 0; c < spec.counter_keys; ++c) dataset.add_counter(counter_key(c));
  dataset.set_max_put_value_size(spec.needs_put() ? spec.value_size : 0);
  return dataset;
}

namespace {
void add_kind(OpSchedule::KindCounts& counts, const PlannedOp& op) {
  counts.gets += op.kind == OpKind::get;
  counts.puts += op.kind == OpKind::put;
  counts.adds += op.kind == OpKind::add;
  counts.hits += op.kind == OpKind::get && !op.miss;
}
}  // namespace

OpSchedule::OpSchedule(const WorkloadSpec& spec, std::uint64_t seed) {
  const std::uint64_t length =
      std::clamp<std::uint64_t>(2 * std::max<std::uint64_t>(spec.keys, spec.counter_keys),
                                std::uint64_t{1} << 16, std::uint64_t{1} << 22);
  ops_.resize(length);
  std::vector<std::string> counters;
  for (std::uint32_t c = 0; c < spec.counter_keys; ++c) counters.push_back(counter_key(c));
  SplitMix64 rng(mix64(seed));
  std::optional<ZipfianGenerator> zipf;
  if (spec.distribution == Distribution::zipfian && spec.uses_data_keys()) zipf.emplace(spec.keys, spec.zipf_theta);
  auto draw_key = [&] {
    return zipf ? scramble(zipf->next(rng), spec.keys) : rng.below(spec.keys);
  };
  for (PlannedOp& op : ops_) {
    op = PlannedOp{};
    const double choice = rng.unit();
    if (choice < spec.add_ratio) {
      op.kind = OpKind::add;
      op.key_index = static_cast<std::uint32_t>(rng.below(spec.counter_keys));
      const std::string& key = counters[op.key_index];
      std::memcpy(op.key_text, key.data(), key.size());
      op.key_size = static_cast<std::uint8_t>(key.size());
    } else {
      op.key_index = static_cast<std::uint32_t>(draw_key());
      if (choice < spec.add_ratio + spec.put_ratio) {
        op.kind = OpKind::put;
      } else {
        op.kind = OpKind::get;
        op.miss = rng.unit() >= spec.hit_ratio;
      }
      op.key_size = static_cast<std::uint8_t>(format_data_key(op.key_index, op.miss, op.key_text));
    }
    op.key_hash = value_key_hash(op.key());
  }
  KindCounts counts;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (i % kBlock == 0) block_starts_.push_back(counts);
    add_kind(counts, ops_[i]);
  }
  block_starts_.push_back(counts);  // of the whole plan
}

OpSchedule::KindCounts OpSchedule::before(std::size_t position) const {
  const std::size_t block = position / kBlock;
  KindCounts counts = block_starts_[block];
  for (std::size_t i = block * kBlock; i < position; ++i) add_kind(counts, ops_[i]);
  return counts;
}

OpSchedule::KindCounts OpSchedule::count(std::size_t first, std::uint64_t n) const {
  const std::size_t length = ops_.size();
  const KindCounts whole = block_starts_.back();
  const std::uint64_t laps = n / length;
  const std::size_t end = first + static_cast<std::size_t>(n % length);
  const KindCounts from = before(first);
  // [first, end), or [first, length) and [0, end - length) when it wraps
  const KindCounts to = end <= length ? before(end) : before(end - length);
  const KindCounts wrap = end <= length ? KindCounts{} : whole;
  const auto span = [&](std::uint64_t KindCounts::*field) {
    return laps * whole.*field + wrap.*field + to.*field - from.*field;
  };
  return {span(&KindCounts::gets), span(&KindCounts::puts), span(&KindCounts::adds), span(&KindCounts::hits)};
}

}  // namespace sharebench

namespace sharebench {
namespace {

struct Unit {
  char suffix;
  std::uint64_t factor;
};
constexpr Unit kBinaryUnits[] = {{'K', 1024}, {'M', 1024 * 1024}};
constexpr Unit kDecimalUnits[] = {{'K', 1'000}, {'M', 1'000'000}, {'G', 1'000'000'000}};

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(' ') - first + 1));
}

// `item`: a whole number (parse_integer's forms) with an optional suffix of `units`, from
// min to max.
std::uint64_t parse_with_unit(std::string_view flag, const std::string& item, std::span<const Unit> units,
                              std::uint64_t min, std::uint64_t max) {
  const std::string quoted = std::string(flag) + ": '" + item + "'";
  std::string accepted_units;
  for (const Unit& u : units) {
    accepted_units += (accepted_units.empty() ? "" : ", ") + std::string(1, u.suffix) + " (" + std::to_string(u.factor) + ")";
  }
  std::string number = item;
  std::uint64_t factor = 1;
  if (!number.empty() && std::isalpha(static_cast<unsigned char>(number.back()))) {
    const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(number.back())));
    const auto unit = std::find_if(units.begin(), units.end(), [&](const Unit& u) { return u.suffix == suffix; });
    if (unit == units.end()) {
      throw Error(quoted + " has an unknown suffix '" + std::string(1, number.back()) + "'; accepted: " + accepted_units);
    }
    factor = unit->factor;
    number.pop_back();
  }
  const std::string range = "; accepted: " + std::to_string(min) + " to " + std::to_string(max);
  std::uint64_t n = 0;
  try {
    n = parse_integer<std::uint64_t>(flag, number, 0, UINT64_MAX);
  } catch (const Error&) {
    throw Error(quoted + " is not a whole number" + range);
  }
  if (n > max / factor || n * factor < min) throw Error(quoted + " is out of range" + range);
  return n * factor;
}

template <typename Int>
std::vector<Int> parse_list(std::string_view flag, std::string_view text, std::span<const Unit> units,
                            std::uint64_t min, std::uint64_t max) {
  std::vector<Int> values;
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    items.push_back(trimmed(text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].empty()) {
      throw Error(std::string(flag) + ": empty item in '" + std::string(text) + "'; give a list such as " +
                  (units.size() == 2 ? "32,1K,64K" : "1K,100K,10M"));
    }
    const auto value = static_cast<Int>(parse_with_unit(flag, items[i], units, min, max));
    // A repeated size would run its cells twice under one name.
    if (const auto at = std::find(values.begin(), values.end(), value); at != values.end()) {
      throw Error(std::string(flag) + ": '" + items[i] + "' repeats '" + items[static_cast<std::size_t>(at - values.begin())] +
                  "'");
    }
    values.push_back(value);
  }
  return values;
}

std::string with_suffix(std::uint64_t n, std::span<const Unit> units) {
  for (auto unit = units.rbegin(); unit != units.rend(); ++unit) {
    if (n >= unit->factor && n % unit->factor == 0) return std::to_string(n / unit->factor) + unit->suffix;
  }
  return std::to_string(n);
}

}  // namespace

std::string value_size_text(std::uint64_t bytes) { return with_suffix(bytes, kBinaryUnits); }
std::string key_count_text(std::uint64_t keys) { return with_suffix(keys, kDecimalUnits); }

std::vector<std::uint32_t> parse_value_sizes(std::string_view text) {
  return parse_list<std::uint32_t>("--value-size", text, kBinaryUnits, kMinValueSize, kMaxValueSize);
}

std::vector<std::uint64_t> parse_key_counts(std::string_view text) {
  return parse_list<std::uint64_t>("--keys", text, kDecimalUnits, 1, kMaxKeys);
}

}  // namespace sharebench

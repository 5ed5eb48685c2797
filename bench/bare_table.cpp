// The ceiling mmap-table and shm-map reads are judged against, measured with nothing of
// sharebench around it: a bare open-addressing table of mmap-table's shape (1M keys str(2i),
// 32-byte values, slots of fingerprint << 48 | record offset + 1 at load 1/2, linear probing,
// records of key size, value size, key, value), queried uniformly over [0, 2 x keys) so half
// miss, on one core, one at a time and in batches with two-stage prefetch (slots, then records).
// The queries are formatted beforehand, as sharebench's schedule is. Only the hash (common/
// hash.hpp) is shared, so that both pay the same for it.
//
//   build/bench/bare_table [--keys N] [--batch N] [--seconds S] [--rounds N] [--spacing LIST]
//                          [--layout table|shm-map]
// prints, for batch 1 and the batch, every round's lookups/s and their median.
//
// --layout shm-map lays the same table out as shm-map's segment is (16-byte slots, entries
// 80 bytes apart at 32-byte values, where mmap-table's records are 47): what shm-map's shape
// alone costs against the table limit, before its seqlock and its copy.
//
// --spacing 0,100,200 also runs batch 1 with that many instructions of other work (adds over
// four registers, independent of the lookups) between two lookups, as a harness's per-op work
// (filling the op, checking the value, the loop) is. Back to back, the CPU runs the next
// lookup's misses while this one's are outstanding; once the work between them fills its
// reorder window, lookups one at a time wait for their misses in turn. That is why no
// strategy at --batch 1 comes near the batch-1 floor, which runs its lookups back to back.
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.hpp"

namespace {

constexpr std::uint64_t kSeed = 0x5eed'7ab1e;
constexpr std::size_t kMaxKey = 16;

struct Query {
  char text[kMaxKey];
  std::uint8_t size;
};

// kShmMapShape: the same lookups in shm-map's layout, to tell what its shape costs from
// what its seqlock and copy cost: 16-byte slots (a sequence word, then the slot word), and
// each record where shm-map's allocator puts an entry: after a 16-byte block header and 8
// bytes standing for the rest of its 16-byte entry header, 16-aligned, each key's bytes
// rounded up to 8 as shm-map pads them (80 bytes apart at 32-byte values).
template <bool kShmMapShape>
class Table {
  static constexpr std::size_t kSlotWords = kShmMapShape ? 2 : 1;

 public:
  Table(std::uint64_t keys, std::uint32_t value_size) {
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(2 * keys, 16));
    std::vector<std::uint64_t> slot_words(slots * kSlotWords, 0);
    mask_ = slots - 1;
    std::string records;
    char key[kMaxKey];
    std::string value(value_size, 'v');
    for (std::uint64_t i = 0; i < keys; ++i) {
      const std::size_t key_size = static_cast<std::size_t>(std::to_chars(key, key + kMaxKey, 2 * i).ptr - key);
      const std::uint64_t h = sharebench::hash64(key, key_size, kSeed);
      std::size_t s = h & mask_;
      while (slot_words[word_at(s)] != 0) s = (s + 1) & mask_;
      const std::size_t block_start = records.size();
      if (kShmMapShape) records.append(16 + 8, '\0');
      slot_words[word_at(s)] = (h >> 48) << 48 | (records.size() + 1);
      const auto ks = static_cast<std::uint32_t>(key_size);
      records.append(reinterpret_cast<const char*>(&ks), 4);
      records.append(reinterpret_cast<const char*>(&value_size), 4);
      records.append(key, key_size);
      records.append(value);
      if (kShmMapShape) {
        const std::size_t block = (16 + 16 + (key_size + 7) / 8 * 8 + value_size + 15) / 16 * 16;
        records.append(block_start + block - records.size(), '\0');
      }
    }
    // In a shared mapping of 4 KiB pages, as mmap-table's image is (no transparent huge pages).
    size_ = slot_words.size() * 8 + records.size();
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::perror("mmap");
      std::exit(1);
    }
    slots_ = static_cast<std::uint64_t*>(p);
    records_ = static_cast<char*>(p) + slot_words.size() * 8;
    std::memcpy(slots_, slot_words.data(), slot_words.size() * 8);
    std::memcpy(records_, records.data(), records.size());
  }
  ~Table() { ::munmap(slots_, size_); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  std::uint64_t hash(const Query& q) const { return sharebench::hash64(q.text, q.size, kSeed); }
  void prefetch_slot(std::uint64_t h) const { __builtin_prefetch(&slots_[word_at(h & mask_)]); }
  void prefetch_record(std::uint64_t h) const {
    const std::uint64_t slot = slots_[word_at(h & mask_)];
    if (slot != 0 && (slot >> 48) == (h >> 48)) __builtin_prefetch(records_ + (slot & kPosition) - 1);
  }
  // The value's size plus its first byte if found (something the compiler cannot drop), else 0.
  std::uint64_t find(const Query& q, std::uint64_t h) const {
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const std::uint64_t slot = slots_[word_at(s)];
      if (slot == 0) return 0;
      if ((slot >> 48) != (h >> 48)) continue;
      const char* record = records_ + (slot & kPosition) - 1;
      std::uint32_t key_size, value_size;
      std::memcpy(&key_size, record, 4);
      std::memcpy(&value_size, record + 4, 4);
      if (key_size == q.size && std::memcmp(record + 8, q.text, q.size) == 0) {
        return value_size + static_cast<unsigned char>(record[8 + key_size]);
      }
    }
  }

 private:
  static constexpr std::uint64_t kPosition = (std::uint64_t{1} << 48) - 1;
  // Where slot s's slot word is (its last word).
  static std::size_t word_at(std::size_t s) { return s * kSlotWords + kSlotWords - 1; }
  std::uint64_t* slots_ = nullptr;
  char* records_ = nullptr;
  std::size_t size_ = 0;
  std::uint64_t mask_ = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 10 * tens instructions: 7 adds over four registers (independent enough to retire several a
// cycle) and the loop's own three; no lookup depends on them.
struct Filler {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
};
[[gnu::always_inline]] inline void other_work(std::uint64_t tens, Filler& f) {
  for (std::uint64_t t = 0; t < tens; ++t) {
    asm volatile("add $1, %0\n\tadd $1, %1\n\tadd $1, %2\n\tadd $1, %3\n\tadd $1, %0\n\tadd $1, %1\n\tadd $1, %2"
                 : "+r"(f.a), "+r"(f.b), "+r"(f.c), "+r"(f.d));
  }
}

// Nanoseconds the other work alone takes, for comparison.
double other_work_ns(std::uint64_t tens) {
  Filler f;
  constexpr int kTimes = 1 << 20;
  const double start = now_s();
  for (int i = 0; i < kTimes; ++i) other_work(tens, f);
  const double ns = (now_s() - start) * 1e9 / kTimes;
  asm volatile("" : : "r"(f.a), "r"(f.b), "r"(f.c), "r"(f.d));
  return ns;
}

// Lookups per second over `seconds`, `batch` at a time (at batch 1, `spacing_tens` x 10
// instructions of other work after each).
template <class Table>
double measure(const Table& table, const std::vector<Query>& queries, std::size_t batch, double seconds,
               std::uint64_t spacing_tens = 0) {
  std::uint64_t sink = 0, ops = 0;
  Filler filler;
  std::size_t next = 0;
  std::uint64_t hashes[64];
  const double start = now_s();
  double end = start;
  while (end - start < seconds) {
    for (int round = 0; round < 4096; ++round) {
      const Query* q = &queries[next];
      if (batch == 1) {
        sink += table.find(q[0], table.hash(q[0]));
        other_work(spacing_tens, filler);
      } else {
        for (std::size_t i = 0; i < batch; ++i) {
          hashes[i] = table.hash(q[i]);
          table.prefetch_slot(hashes[i]);
        }
        for (std::size_t i = 0; i < batch; ++i) table.prefetch_record(hashes[i]);
        for (std::size_t i = 0; i < batch; ++i) sink += table.find(q[i], hashes[i]);
      }
      next += batch;
      if (next + batch > queries.size()) next = 0;
      ops += batch;
    }
    end = now_s();
  }
  asm volatile("" : : "r"(sink), "r"(filler.a), "r"(filler.b), "r"(filler.c), "r"(filler.d));
  return static_cast<double>(ops) / (end - start);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bare_table [--keys N] [--batch N (2-64)] [--seconds S] [--rounds N] "
               "[--spacing INSTRUCTIONS,... (multiples of 10)] [--layout table|shm-map]\n");
  std::exit(2);
}

std::vector<std::uint64_t> parse_spacings(std::string_view list) {
  std::vector<std::uint64_t> spacings;
  while (!list.empty()) {
    const std::size_t comma = std::min(list.find(','), list.size());
    std::uint64_t n = 0;
    const std::string_view item = list.substr(0, comma);
    if (std::from_chars(item.data(), item.data() + item.size(), n).ptr != item.data() + item.size() || n % 10 != 0) {
      usage();
    }
    spacings.push_back(n);
    list.remove_prefix(std::min(comma + 1, list.size()));
  }
  return spacings;
}

// Every round's rate, then their median, on one line.
void print_rounds(const char* label, int rounds, const auto& measure_once) {
  std::vector<double> rates;
  std::printf("%s:", label);
  for (int r = 0; r < rounds; ++r) {
    rates.push_back(measure_once());
    std::printf(" %.2f", rates.back() / 1e6);
    std::fflush(stdout);
  }
  std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
  const double median = rates[rates.size() / 2];
  std::printf("  median %.2f M lookups/s (%.1f ns each)\n", median / 1e6, 1e9 / median);
}

template <class Table>
void run(const Table& table, const std::vector<Query>& queries, std::size_t batch, double seconds, int rounds,
         const std::vector<std::uint64_t>& spacings) {
  measure(table, queries, batch, seconds / 4);  // warm the pages
  for (const std::size_t b : {std::size_t{1}, batch}) {
    const std::string label = "batch " + std::to_string(b);
    print_rounds(label.c_str(), rounds, [&] { return measure(table, queries, b, seconds); });
  }
  for (const std::uint64_t spacing : spacings) {
    char label[96];
    std::snprintf(label, sizeof label, "batch 1, %llu instructions between lookups (%.1f ns alone)",
                  static_cast<unsigned long long>(spacing), other_work_ns(spacing / 10));
    print_rounds(label, rounds, [&] { return measure(table, queries, 1, seconds, spacing / 10); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t keys = 1'000'000;
  std::size_t batch = 16;
  double seconds = 1;
  int rounds = 5;
  std::vector<std::uint64_t> spacings;
  std::string_view layout = "table";
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage();
    const char* value = argv[++i];
    if (flag == "--keys") keys = std::strtoull(value, nullptr, 10);
    else if (flag == "--batch") batch = std::strtoull(value, nullptr, 10);
    else if (flag == "--seconds") seconds = std::strtod(value, nullptr);
    else if (flag == "--rounds") rounds = std::atoi(value);
    else if (flag == "--spacing") spacings = parse_spacings(value);
    else if (flag == "--layout") layout = value;
    else usage();
  }
  if (keys < 1 || batch < 2 || batch > 64 || !(seconds > 0) || rounds < 1 || (layout != "table" && layout != "shm-map")) {
    usage();
  }

  // Uniform over [0, 2 x keys): the odd ones are never present. Long enough (>= 2 x keys)
  // that the stream touches the whole table, as sharebench's schedule does.
  std::vector<Query> queries(std::max<std::uint64_t>(2 * keys, 1 << 16));
  std::uint64_t state = 1;
  for (Query& q : queries) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::uint64_t n = sharebench::mix64(state) % (2 * keys);
    q.size = static_cast<std::uint8_t>(std::to_chars(q.text, q.text + kMaxKey, n).ptr - q.text);
  }
  if (layout == "shm-map") {
    run(Table<true>(keys, 32), queries, batch, seconds, rounds, spacings);
  } else {
    run(Table<false>(keys, 32), queries, batch, seconds, rounds, spacings);
  }
}

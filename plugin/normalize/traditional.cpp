// Traditional to Simplified as a code-point table read once from OpenCC's character
// dictionary: OpenCC's own converter costs ~33 us a message (measured), the table a
// lookup per Han character. Phrase-level choices (乾隆 keeps 乾) are lost; for matching
// rules written in Simplified the character level is what counts.
#include <opencc/Exception.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MarisaDict.hpp>

#include <cstdio>
#include <exception>
#include <memory>

#include "plugin/common/utf8.h"
#include "plugin/normalize/char_table.h"

namespace vigil::normalize {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// The one code point `s` holds, or 0 when it holds none or several.
char32_t single_code_point(const std::string& s) {
  if (s.empty()) return 0;
  char32_t cp = 0;
  const int len = decode_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size(), cp);
  return len > 0 && static_cast<size_t>(len) == s.size() ? cp : 0;
}

Error dictionary_error(const std::string& path, const std::string& why) {
  return Error("normalize.opencc_data", "cannot read OpenCC's dictionary " + path + ": " + why +
                                            " (set the OpenCC data folder, or install libopencc-data)")
      .at(path);
}

}  // namespace

Status<> add_traditional(CharTable& table, const std::string& opencc_dir) {
  const std::string path = opencc_dir + "/TSCharacters.ocd2";
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return dictionary_error(path, "it does not exist or is not readable");
  try {
    const opencc::MarisaDictPtr dict = opencc::MarisaDict::NewFromFile(file.get());
    for (const auto& entry : *dict->GetLexicon()) {
      const char32_t from = single_code_point(entry->Key());
      const char32_t to = single_code_point(entry->GetDefault());
      if (from != 0 && to != 0 && from != to) table.set_code_point(from, to);
    }
  } catch (const opencc::Exception& e) {
    return dictionary_error(path, e.what());
  } catch (const std::exception& e) {
    return dictionary_error(path, e.what());
  }
  return {};
}

}  // namespace vigil::normalize

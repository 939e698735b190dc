// The normaliser's passes, in the order Normalizer::normalize() runs them. The
// character-level ones read units (code points with their original spans, unit.h);
// the word-level ones the encoded text and its map (word_text.h). Each returns the
// Transform bits of what it changed. Every pass keeps the text in order, so the spans'
// begins never decrease; a character dropped between two kept ones stays inside any
// span that covers both. Internal to plugin/normalize/; free functions, safe from any
// thread.
#pragma once

#include <unicode/uversion.h>

#include <string>
#include <string_view>

#include "plugin/normalize/char_table.h"
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/unit.h"

U_NAMESPACE_BEGIN
class Edits;
class Normalizer2;
U_NAMESPACE_END

namespace vigil::normalize {

// ASCII-only input, straight to text: lower case, C0 controls (but tab and line
// breaks) and DEL dropped. Replaces `out`.
uint32_t decode_ascii(std::string_view input, NormalizedText& out);

// Any input: invalid UTF-8 repaired (each byte that does not belong to a well-formed
// sequence becomes U+FFFD), invisibles dropped (zero-width, bidi controls, soft hyphen,
// U+2060-2064, BOM, every Default_Ignorable_Code_Point, C0 and C1 controls), and the
// CharTable's homoglyphs mapped while capitals still look like capitals. Replaces
// `out`, and points `utf8` at the UTF-8 of `out`'s code points: `input` itself when
// nothing changed, else `buffer`.
uint32_t decode_unicode(std::string_view input, const CharTable& table, Units& out, std::string& buffer,
                        std::string_view& utf8);
bool is_invisible(char32_t cp);

// NFKC + case folding (ICU) over `utf8`, the UTF-8 of `in`, then the CharTable's
// replacements: homoglyphs, styled forms, Traditional characters. Replaces `out`.
// `edits` and `folded` are working buffers, reused.
uint32_t fold_unicode(const icu::Normalizer2& nfkc_casefold, const CharTable& table, std::string_view utf8,
                      const Units& in, Units& out, icu::Edits& edits, std::string& folded);

// Combining marks left on an ASCII character or a Chinese numeral (none NFKC could
// compose: "q" + U+0301, zalgo text) dropped, their span joined to the character's, as
// the homoglyph table drops diacritics; a mark cannot split a number or a word. In place.
uint32_t drop_stray_marks(Units& units);

// Chinese numerals in runs that read as numbers ("一三八" -> "138", "十三岁" -> "13岁",
// "二十" -> "20"), never a lone numeral of an ordinary word (一起, 统一, 十分).
// `units` is replaced; `spare` is a working buffer, swapped with it when used.
uint32_t fold_chinese_numerals(Units& units, Units& spare);
bool is_chinese_numeral(char32_t cp);

// Encodes units to UTF-8, one span a byte, replacing `out`'s text and map.
void encode(const Units& units, NormalizedText& out);

// Three or more single letters set apart by one repeated separator ("s n a p",
// "s.n.a.p", "d 0 n t") joined into a word. In place.
uint32_t join_spaced_letters(NormalizedText& text);

// Digits and @ $ inside words read as letters ("p4rents" -> "parents"); numbers,
// ordinals and number+unit tokens ("13", "8th", "13yo"), e-mail addresses and
// @mentions stay. In place, one unit for one unit.
uint32_t fold_leetspeak(std::string& text);

// Runs of one ASCII letter longer than two cut to two ("alooooone" -> "aloone"); the
// second kept letter's span covers the letters cut. Digits stay. In place.
uint32_t shorten_repeats(NormalizedText& text);

}  // namespace vigil::normalize

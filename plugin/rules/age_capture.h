// Turns the text an age_signal rule captured into a number: the `age` group holds an
// age, the `grade` group a school grade (the rule's grade_offset makes it an age).
// Pure functions over normalised text; no allocation.
#pragma once

#include <string_view>

namespace vigil {

// The age in "13", "thirteen", "twenty one", "twenty-one", "十三" (and anything the
// normaliser left: Chinese numerals up to 99), or -1 when it is not one of these or
// is over 120.
int parse_age(std::string_view text);

// The grade in "7", "7th", "seventh", "一" ... "十二", or -1.
int parse_grade(std::string_view text);

}  // namespace vigil

// Age capture text -> number: digits, English words, Chinese numerals, grades.
#include <catch2/catch.hpp>

#include "plugin/rules/age_capture.h"

using vigil::parse_age;
using vigil::parse_grade;

TEST_CASE("ages from digits, English words and Chinese numerals") {
  CHECK(parse_age("13") == 13);
  CHECK(parse_age(" 9 ") == 9);
  CHECK(parse_age("thirteen") == 13);
  CHECK(parse_age("twenty") == 20);
  CHECK(parse_age("twenty one") == 21);
  CHECK(parse_age("twenty-one") == 21);
  CHECK(parse_age("twentyone") == 21);
  CHECK(parse_age("ninety nine") == 99);
  CHECK(parse_age("十三") == 13);
  CHECK(parse_age("十") == 10);
  CHECK(parse_age("二十") == 20);
  CHECK(parse_age("二十一") == 21);
  CHECK(parse_age("九") == 9);
  CHECK(parse_age("两") == 2);
  CHECK(parse_age("") == -1);
  CHECK(parse_age("lots") == -1);
  CHECK(parse_age("twenty ten") == -1);
  CHECK(parse_age("1234") == -1);
  CHECK(parse_age("999") == -1);
  CHECK(parse_age("十三岁") == -1);
}

TEST_CASE("grades from digits, ordinals and Chinese numerals") {
  CHECK(parse_grade("7") == 7);
  CHECK(parse_grade("7th") == 7);
  CHECK(parse_grade("1st") == 1);
  CHECK(parse_grade("2nd") == 2);
  CHECK(parse_grade("3rd") == 3);
  CHECK(parse_grade("seventh") == 7);
  CHECK(parse_grade("一") == 1);
  CHECK(parse_grade("五") == 5);
  CHECK(parse_grade("th") == -1);
  CHECK(parse_grade("grade") == -1);
}

/* vigil_c_example: the C ABI end to end. Reads one JSON message per line from stdin,
 * prints one verdict (or error) per line to stdout.
 *   vigil_c_example CONFIG.yaml < messages.jsonl
 * Exit status: 0 when every line was scored, 1 when some line was refused, 2 when the
 * engine did not start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/c/vigil.h"

int main(int argc, char** argv) {
  char* err = NULL;
  vigil_engine* engine;
  char line[70000];
  int refused = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: %s CONFIG.yaml < messages.jsonl\n", argv[0]);
    return 2;
  }
  engine = vigil_engine_new(argv[1], &err);
  if (engine == NULL) {
    fprintf(stderr, "vigil_engine_new failed:\n%s\n", err ? err : "(no detail)");
    vigil_free(err);
    return 2;
  }
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t len = strcspn(line, "\r\n");
    char* verdict = NULL;
    size_t verdict_len = 0;
    int status;
    if (len == 0) continue;
    status = vigil_process(engine, line, len, &verdict, &verdict_len);
    if (status == VIGIL_OK || status == VIGIL_BAD_MESSAGE) {
      fwrite(verdict, 1, verdict_len, stdout);
      fputc('\n', stdout);
    } else {
      printf("{\"status\":\"%s\"}\n", vigil_status_string(status));
    }
    if (status != VIGIL_OK) refused = 1;
    vigil_free(verdict);
  }
  vigil_engine_free(engine);
  return refused;
}

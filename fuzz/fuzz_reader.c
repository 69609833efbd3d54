/* libFuzzer target: any bytes as a Parquet file, read fully through the stream; inputs of odd
 * size are read a second time with a filter on the first column, which exercises the page index
 * (column and offset indexes), page selection, row trimming and row filtering. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "prestige/parquet_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prestige_error_t err;
  prestige_input_t in;
  if (prestige_input_open_memory(&in, data, size, "fuzz", &err)) return 0;
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.batch_rows = 1000;
  prestige_parquet_reader_t *r;
  if (prestige_parquet_reader_open(&r, &in, &o, &err)) return 0;
  struct ArrowArrayStream st;
  if (prestige_parquet_reader_stream(r, &st, &err)) return 0;
  struct ArrowSchema s;
  if (st.get_schema(&st, &s) == 0) s.release(&s);
  for (int i = 0; i < 10000; i++) {
    struct ArrowArray a;
    if (st.get_next(&st, &a) || !a.release) break;
    a.release(&a);
  }
  char first[200] = "", format[64] = "";
  if (st.get_schema(&st, &s) == 0) {
    if (s.n_children > 0 && s.children[0]->name && !strchr(s.children[0]->name, '"') && !strchr(s.children[0]->name, '.')) {
      snprintf(first, sizeof first, "%s", s.children[0]->name);
      snprintf(format, sizeof format, "%s", s.children[0]->format);
    }
    s.release(&s);
  }
  st.release(&st);
  if (!(size & 1) || !first[0]) return 0;
  /* a literal of the first column's type, so that the filter binds and filters rows */
  const char *lit = NULL;
  if (strchr("uUzZw", format[0])) lit = "'m'";
  else if (!strcmp(format, "b")) lit = "true";
  else if (!strncmp(format, "td", 2)) lit = "'2020-01-01'";
  else if (!strncmp(format, "ts", 2)) lit = "'2020-01-01 00:00:00.5+01:00'";
  else if (!strncmp(format, "tt", 2)) lit = "'12:00'";
  else if (strchr("cCsSiIlLefgd", format[0]) || !strncmp(format, "tD", 2)) lit = "0.5";
  char text[512];
  if (lit) snprintf(text, sizeof text, "\"%s\" > %s OR NOT \"%s\" IS NOT NULL", first, lit, first);
  else snprintf(text, sizeof text, "\"%s\" IS NULL", first);
  prestige_predicate_t *p;
  if (prestige_predicate_parse(text, &p, &err)) return 0;
  if (prestige_input_open_memory(&in, data, size, "fuzz", &err)) {
    prestige_predicate_free(p);
    return 0;
  }
  o.filter = p;
  if (prestige_parquet_reader_open(&r, &in, &o, &err) == 0) {
    for (int32_t g = 0; g < prestige_parquet_reader_num_row_groups(r) && g < 64; g++) {
      struct ArrowArray a;
      if (prestige_parquet_reader_read_row_group(r, g, &a, &err)) break;
      a.release(&a);
    }
    prestige_parquet_reader_close(r);
  }
  prestige_predicate_free(p);
  return 0;
}

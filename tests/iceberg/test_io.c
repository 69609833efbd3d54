/* Iceberg file IO (locations onto stores) and catalog identifiers. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "test.h"

static prestige_error_t err;

TEST(locations_normalize) {
  char *s = NULL;
  CHECK_OK(ice_location_normalize("file:///a//b/./c/../d", &s, &err));
  CHECK_EQ_STR(s, "file:///a/b/d");
  free(s);
  CHECK_OK(ice_location_normalize("file:/tmp/x", &s, &err));
  CHECK_EQ_STR(s, "file:///tmp/x");
  free(s);
  CHECK_OK(ice_location_normalize("/tmp/x/", &s, &err));
  CHECK_EQ_STR(s, "file:///tmp/x");
  free(s);
  CHECK_OK(ice_location_normalize("s3a://bucket/k/x.avro", &s, &err));
  CHECK_EQ_STR(s, "s3://bucket/k/x.avro");
  free(s);
  CHECK_OK(ice_location_normalize("rel/dir", &s, &err));
  CHECK(s && !strncmp(s, "file:///", 8) && strstr(s, "/rel/dir"));
  free(s);
  CHECK_ERR(ice_location_normalize("gs://b/x", &s, &err), PRESTIGE_EINVAL, "gs://b/x");
  CHECK_ERR(ice_location_normalize("s3:///x", &s, &err), PRESTIGE_EINVAL, "no bucket");
  CHECK_OK(ice_location_join("file:///a/", "/b/c", &s, &err));
  CHECK_EQ_STR(s, "file:///a/b/c");
  free(s);
  CHECK_EQ_STR(ice_location_local_path("file:///x/y"), "/x/y");
  CHECK(ice_location_local_path("s3://b/k") == NULL);
}

static int count_fn(void *user, const char *location, uint64_t size, int64_t mtime) {
  (void)mtime;
  int *n = user;
  if (strstr(location, "/t1/") && size > 0) (*n)++;
  return 0;
}

TEST(local_io) {
  ice_io_t *io;
  CHECK_OK(ice_io_new(NULL, &io, &err));
  char root[512], loc[600];
  snprintf(root, sizeof root, "file://%s/wh/ns/t1", test_tmpdir());
  CHECK_OK(ice_io_add_root(io, root, &err));
  snprintf(loc, sizeof loc, "%s/metadata/00000-a.metadata.json", root);
  CHECK_OK(ice_io_write(io, loc, "{}", 2, true, &err));
  CHECK_ERR(ice_io_write(io, loc, "{1}", 3, true, &err), PRESTIGE_EEXISTS, "");
  uint8_t *data;
  size_t len;
  CHECK_OK(ice_io_read(io, loc, &data, &len, &err));
  CHECK(len == 2 && !memcmp(data, "{}", 2));
  free(data);
  uint64_t size = 0;
  CHECK_OK(ice_io_head(io, loc, &size, NULL, &err));
  CHECK_EQ_INT(size, 2);
  /* the temporary directory of atomic writes lives at the registered root, not in metadata/ */
  char tmpdir[700];
  snprintf(tmpdir, sizeof tmpdir, "%s/wh/ns/t1/metadata/.prestige-tmp", test_tmpdir());
  struct stat sb;
  CHECK(stat(tmpdir, &sb) != 0);
  char data_loc[700];
  snprintf(data_loc, sizeof data_loc, "%s/data/day=2024-01-01/f.parquet", root);
  prestige_output_t out;
  CHECK_OK(ice_io_open_output(io, data_loc, &out, &err));
  CHECK_OK(out.write(out.ctx, "PAR1", 4, &err));
  CHECK_OK(out.close(out.ctx, &err));
  int n = 0;
  CHECK_OK(ice_io_list(io, root, count_fn, &n, &err));
  CHECK_EQ_INT(n, 2);
  char *locs[2] = {loc, data_loc};
  CHECK_OK(ice_io_delete_many(io, locs, 2, &err));
  CHECK_ERR(ice_io_read(io, loc, &data, &len, &err), PRESTIGE_ENOTFOUND, "");
  CHECK_OK(ice_io_delete(io, loc, &err)); /* absent: fine */
  ice_io_free(io);
}

TEST(idents) {
  ice_ident_t id;
  CHECK_OK(ice_ident_parse("a.b.tbl", true, &id, &err));
  CHECK_EQ_INT(id.n_levels, 2);
  CHECK_EQ_STR(id.name, "tbl");
  char *s = ice_ident_format(&id);
  CHECK_EQ_STR(s, "a.b.tbl");
  free(s);
  ice_ident_t cp;
  CHECK_OK(ice_ident_copy(&id, &cp, &err));
  CHECK(ice_ident_equal(&id, &cp));
  ice_ident_release(&cp);
  ice_ident_release(&id);
  CHECK_OK(ice_ident_parse("analytics", false, &id, &err));
  CHECK(id.n_levels == 1 && id.name == NULL);
  ice_ident_release(&id);
  CHECK_ERR(ice_ident_parse("tbl", true, &id, &err), PRESTIGE_EINVAL, "NAMESPACE.TABLE");
  CHECK_ERR(ice_ident_parse("a..t", true, &id, &err), PRESTIGE_EINVAL, "empty name segment");
}

TEST_MAIN(RUN(locations_normalize); RUN(local_io); RUN(idents);)

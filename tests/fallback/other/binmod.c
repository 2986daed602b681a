/* A binary module for tests/fallback.rs, compiled at test time: argv[1] names a JSON arguments
 * file. It copies that file, without its `_ansible_tmpdir` entry (a path that differs per run),
 * to the `dest` argument, unless the file there already holds that text (changed: false) or the
 * run is in check mode (changed: true, nothing written). `fail: yes` makes it fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The string value of "key": "value" in the JSON text (no escapes handled). */
static char *value_of(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *at = strstr(json, pat);
    if (!at) return NULL;
    at += strlen(pat);
    const char *end = strchr(at, '"');
    char *out = calloc(1, end - at + 1);
    memcpy(out, at, end - at);
    return out;
}

/* The text without `"_ansible_tmpdir": <value>, `. */
static void drop_tmpdir(char *text) {
    char *at = strstr(text, "\"_ansible_tmpdir\": ");
    if (!at) return;
    char *end = strstr(at, ", ");
    if (end) memmove(at, end + 2, strlen(end + 2) + 1);
}

int main(int argc, char **argv) {
    char *args = argc > 1 ? slurp(argv[1]) : NULL;
    if (!args) {
        printf("{\"failed\": true, \"msg\": \"no arguments file\"}\n");
        return 1;
    }
    if (strstr(args, "\"fail\": true")) {
        printf("{\"failed\": true, \"msg\": \"asked to fail\", \"language\": \"C\"}\n");
        return 1;
    }
    char *dest = value_of(args, "dest");
    drop_tmpdir(args);
    char *old = dest ? slurp(dest) : NULL;
    int changed = !old || strcmp(old, args) != 0;
    int check = strstr(args, "\"_ansible_check_mode\": true") != NULL;
    if (changed && !check && dest) {
        FILE *f = fopen(dest, "wb");
        fputs(args, f);
        fclose(f);
    }
    printf("{\"changed\": %s, \"dest\": \"%s\", \"language\": \"C\", \"check\": %s}\n",
           changed ? "true" : "false", dest ? dest : "", check ? "true" : "false");
    return 0;
}

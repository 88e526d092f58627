/* fuzz_front.c: the fuzz target over netc's front end. The input bytes are the text of a .net
 * file; it goes through what `netc gen` does (parse, check, lower, emit the C file, in f32 and
 * in f64), with the C written to memory. A crash, a sanitizer report, a leak or a hang is a bug
 * in netc: any input must give either C or error messages.
 *
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined (libFuzzer), or
 * with afl-clang-fast, whose driver calls the same function (docs/testing.md). */
#define _POSIX_C_SOURCE 200809L
#include "netc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The front end aborts when memory runs out (arena_alloc); a .net file is a page of text, so
 * longer inputs are not worth the fuzzer's time and would only find out-of-memory exits. */
enum { FUZZ_MAX_BYTES = 64 << 10 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle on the C written, beyond "no crash": outside comments, strings and character
 * constants its parentheses, brackets and braces nest and close. Text cut short by a fixed
 * buffer, or a fragment left out, breaks that before it breaks the C compiler. */
static void check_nesting(const char *c, size_t len, const uint8_t *data, size_t size)
{
    static char stack[FUZZ_MAX_BYTES]; /* the closing bracket each open one expects */
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (c[i] == '/' && i + 1 < len && c[i + 1] == '*') {
            const char *end = strstr(c + i + 2, "*/");
            i = end ? (size_t)(end - c) + 1 : len;
        } else if (c[i] == '/' && i + 1 < len && c[i + 1] == '/') {
            while (i < len && c[i] != '\n')
                i++;
        } else if (c[i] == '"' || c[i] == '\'') {
            char q = c[i];
            for (i++; i < len && c[i] != q; i++)
                if (c[i] == '\\')
                    i++;
        } else if (strchr("([{", c[i]) && c[i]) {
            if (depth == (int)sizeof stack)
                return; /* deeper than any C netc writes: not checked */
            stack[depth++] = c[i] == '(' ? ')' : c[i] == '[' ? ']' : '}';
        } else if (strchr(")]}", c[i]) && c[i]) {
            if (depth > 0 && stack[depth - 1] == c[i]) {
                depth--;
                continue;
            }
            fprintf(stderr, "fuzz_front: the C written has an unmatched '%c' at byte %zu\n", c[i],
                    i);
            goto bad;
        }
    }
    if (depth == 0)
        return;
    fprintf(stderr, "fuzz_front: the C written ends with %d brackets open\n", depth);
bad:
    fprintf(stderr, "fuzz_front: input of %zu bytes: %.*s\n", size,
            (int)(size < 2000 ? size : 2000), (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_BYTES)
        return 0;
    Source src;
    if (!source_from_memory(&src, "fuzz.net", (const char *)data, size))
        return 0;
    src.keep_going = true; /* too many errors: netc exits, which libFuzzer would call a crash */
    Arena *arena = arena_new();
    Stmt *prog = parse_source(&src, arena);
    Net net;
    /* as main.c: the checker runs after syntax errors too, over what parsed */
    if (check_program(&src, arena, prog, NULL, 0, &net)) {
        Ir ir = ir_lower(&net, arena);
        char text[64];
        ir_describe(&net, arena);
        for (int i = 0; i < net.nlayers; i++) /* what `netc check` prints */
            net_shape_text(&net.layers[i], text, sizeof text);
        for (int f64 = 0; f64 <= 1; f64++) {
            EmitOptions opt = {.f64 = f64, .command = "netc gen fuzz.net"};
            if (!ir_check_storage(&src, &ir, emit_batch_max(&net, &opt), f64 ? 8 : 4))
                break; /* as main.c: buffers too large, refused */
            char *c = NULL;
            size_t len = 0;
            FILE *out = open_memstream(&c, &len);
            if (!out)
                break;
            emit_c(out, &src, &net, &ir, &opt);
            fclose(out);
            check_nesting(c, len, data, size);
            free(c);
        }
    }
    arena_free(arena);
    source_free(&src);
    return 0;
}

/* png_check.c: decode a PNG with libpng, for the tests of --plot. Prints "WIDTH HEIGHT" and then,
 * for each colour given as RRGGBB, how many pixels are that colour (within 24 per channel: the
 * middle of an antialiased line), so that a test can see which curves were drawn.
 * Usage: png_check FILE [RRGGBB...]; exit status 1 when FILE is not a PNG libpng decodes. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: png_check FILE [RRGGBB...]\n");
        return 2;
    }
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&image, argv[1])) {
        fprintf(stderr, "png_check: %s: %s\n", argv[1], image.message);
        return 1;
    }
    image.format = PNG_FORMAT_RGB;
    size_t size = PNG_IMAGE_SIZE(image);
    unsigned char *pixels = malloc(size);
    if (!pixels || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        fprintf(stderr, "png_check: %s: %s\n", argv[1], pixels ? image.message : "out of memory");
        return 1;
    }
    printf("%u %u", image.width, image.height);
    for (int c = 2; c < argc; c++) {
        unsigned long rgb = strtoul(argv[c], NULL, 16);
        int want[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255};
        long count = 0;
        for (size_t i = 0; i + 2 < size; i += 3) {
            int near = 1;
            for (int k = 0; k < 3; k++)
                near &= abs(pixels[i + k] - want[k]) <= 24;
            count += near;
        }
        printf(" %ld", count);
    }
    printf("\n");
    free(pixels);
    return 0;
}

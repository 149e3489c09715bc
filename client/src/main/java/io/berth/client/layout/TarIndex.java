package io.berth.client.layout;

import io.berth.client.BoundedInputStream;
import io.berth.client.BlobSource;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The regular files of a plain tar archive, found by one pass over its headers: each file is read in place from its
 * offset in the archive, so a layout of gigabytes is neither extracted nor held in memory. Reads ustar and the GNU and
 * POSIX (pax) extensions for long names and large sizes, which GNU tar, Go's archive/tar and skopeo write; hard links
 * read as their target, which {@code tar -cf} writes for a blob stored under two names.
 */
final class TarIndex implements LayoutFiles {
    private static final int BLOCK = 512;

    private record Entry(long offset, long size) {
    }

    private final Path archive;
    private final Map<String, Entry> files;

    private TarIndex(Path archive, Map<String, Entry> files) {
        this.archive = archive;
        this.files = files;
    }

    static TarIndex read(Path archive) throws IOException {
        Map<String, Entry> files = new HashMap<>();
        try (FileChannel channel = FileChannel.open(archive, StandardOpenOption.READ)) {
            long position = 0;
            String longName = null;
            Map<String, String> pax = Map.of();
            ByteBuffer header = ByteBuffer.allocate(BLOCK);
            while (true) {
                header.clear();
                if (readFully(channel, header, position) < BLOCK) {
                    break; // archives may end without their two zero blocks
                }
                byte[] block = header.array();
                if (isZero(block)) {
                    break;
                }
                long size = number(block, 124, 12);
                char type = (char) block[156];
                long data = position + BLOCK;
                position = data + (size + BLOCK - 1) / BLOCK * BLOCK;
                if (type == 'L') {
                    longName = trimNul(new String(read(channel, data, size), StandardCharsets.UTF_8));
                    continue;
                }
                if (type == 'x') {
                    pax = pax(read(channel, data, size));
                    continue;
                }
                if (type == 'g') {
                    continue;
                }
                String name = pax.getOrDefault("path", longName != null ? longName : ustarName(block));
                if (pax.containsKey("size")) {
                    size = Long.parseLong(pax.get("size"));
                    position = data + (size + BLOCK - 1) / BLOCK * BLOCK;
                }
                String linkName = pax.getOrDefault("linkpath", string(block, 157, 100));
                longName = null;
                pax = Map.of();
                if (type == '0' || type == '\0' || type == '7') {
                    files.put(normalize(name), new Entry(data, size));
                } else if (type == '1') {
                    Entry target = files.get(normalize(linkName));
                    if (target != null) {
                        files.put(normalize(name), target);
                    }
                }
            }
        }
        return new TarIndex(archive, Map.copyOf(files));
    }

    @Override
    public Optional<BlobSource> file(String path) {
        Entry entry = files.get(path);
        if (entry == null) {
            return Optional.empty();
        }
        return Optional.of(new BlobSource() {
            @Override
            public long size() {
                return entry.size();
            }

            @Override
            public InputStream open(long offset) throws IOException {
                FileChannel channel = FileChannel.open(archive, StandardOpenOption.READ);
                channel.position(entry.offset() + offset);
                return new BoundedInputStream(Channels.newInputStream(channel), entry.size() - offset);
            }
        });
    }

    /** {@code ./blobs/sha256/ab} and {@code blobs/sha256/ab} are the same file in the layout. */
    private static String normalize(String name) {
        String result = name;
        while (result.startsWith("./") || result.startsWith("/")) {
            result = result.substring(result.startsWith("./") ? 2 : 1);
        }
        return result;
    }

    private static String ustarName(byte[] block) {
        String name = string(block, 0, 100);
        // POSIX ustar ("ustar\0") has a name prefix here; old GNU tar ("ustar  ") keeps other fields there.
        boolean ustar = new String(block, 257, 5, StandardCharsets.US_ASCII).equals("ustar") && block[262] == 0;
        String prefix = ustar ? string(block, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** Octal digits, or GNU's base-256 (high bit of the first byte set) for sizes of 8 GiB and more. */
    private static long number(byte[] block, int offset, int length) throws IOException {
        if ((block[offset] & 0x80) != 0) {
            long value = block[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                value = value << 8 | (block[offset + i] & 0xff);
            }
            return value;
        }
        String text = string(block, offset, length).trim();
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text, 8);
        } catch (NumberFormatException e) {
            throw new InvalidLayoutException("not a tar archive: a header's size is " + text);
        }
    }

    /** Records of the form {@code "<length> <key>=<value>\n"}. */
    private static Map<String, String> pax(byte[] bytes) {
        Map<String, String> records = new HashMap<>();
        String text = new String(bytes, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            int space = line.indexOf(' ');
            int equals = line.indexOf('=', space + 1);
            if (space > 0 && equals > space) {
                records.put(line.substring(space + 1, equals), line.substring(equals + 1));
            }
        }
        return records;
    }

    private static String string(byte[] block, int offset, int length) {
        int end = offset;
        while (end < offset + length && block[end] != 0) {
            end++;
        }
        return new String(block, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String trimNul(String text) {
        int nul = text.indexOf('\0');
        return nul < 0 ? text : text.substring(0, nul);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] read(FileChannel channel, long position, long size) throws IOException {
        if (size > 1 << 20) {
            throw new InvalidLayoutException("tar extension header of " + size + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        if (readFully(channel, buffer, position) < size) {
            throw new EOFException("tar archive ends inside a header");
        }
        return buffer.array();
    }

    private static int readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}

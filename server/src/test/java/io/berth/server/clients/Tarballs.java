package io.berth.server.clients;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Generated file trees and the tar (+gzip) layers made from them, so every run pushes content no registry has seen. */
public final class Tarballs {
    private Tarballs() {}

    static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    /** A few files of fresh random content plus a small text file, keyed by relative path. */
    public static Map<String, byte[]> randomFiles(String directory, int... sizes) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < sizes.length; i++) {
            files.put(directory + "/data-" + i + ".bin", randomBytes(sizes[i]));
        }
        String note = "generated " + Instant.now() + " " + ThreadLocalRandom.current().nextLong() + "\n";
        files.put(directory + "/note.txt", note.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    static void writeFiles(Path root, Map<String, byte[]> files) {
        try {
            for (var file : files.entrySet()) {
                Path target = root.resolve(file.getKey());
                Files.createDirectories(target.getParent());
                Files.write(target, file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An uncompressed tar of regular files (directories are implied), with a fixed modification time. */
    static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var file : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
                entry.setSize(file.getValue().length);
                entry.setMode(0100644);
                entry.setModTime(0);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] gunzip(byte[] data) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The regular files in a tar, keyed by path without a leading "/" or "./". */
    static Map<String, byte[]> regularFiles(byte[] tar) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        // Some writers (umoci 0.4 insert) end a layer without record padding or the end-of-archive blocks; the zeros
        // restore them. Reading stops at the first end-of-archive block, so a complete tar is read as it is.
        byte[] padded = java.util.Arrays.copyOf(tar, tar.length + 3 * 512);
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(padded))) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (entry.isFile()) {
                    String name = entry.getName();
                    while (name.startsWith("/") || name.startsWith("./")) {
                        name = name.substring(name.startsWith("/") ? 1 : 2);
                    }
                    files.put(name, in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** The regular files of a gzip-compressed layer. */
    public static Map<String, byte[]> layerFiles(byte[] gzippedTar) {
        return regularFiles(gunzip(gzippedTar));
    }
}

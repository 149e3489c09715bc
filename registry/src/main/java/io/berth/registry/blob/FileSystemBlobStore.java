package io.berth.registry.blob;

import io.berth.oci.Digest;
import io.berth.oci.InvalidDigestException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Blobs as files under {@code root/blobs/<algorithm>/<first two hex>/<hex>}, uploads under {@code root/uploads/<id>},
 * blobs garbage collection is deleting under {@code root/trash}.
 * A blob appears by an atomic rename of its fsync'd upload file followed by an fsync of the directory, so a reader
 * sees either no file or the whole, durable blob.
 */
public final class FileSystemBlobStore implements BlobStore {
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    /**
     * How many bytes of a large upload are written into the page cache before their write-back to disk is started.
     * Uploads go through the page cache: the blob just pushed is the one pulled next, and its pull then reads
     * memory instead of the disk. Write-back runs on a thread of its own while more arrives, so that the fsync
     * that acknowledges the upload has little left to do.
     */
    private static final long FLUSH_EVERY = 32L * 1024 * 1024;
    /**
     * Where an upload's writing and the observer (the hashing) each get a thread of their own, while the request's
     * thread receives the next buffers: SHA-256 costs about as much CPU per byte as receiving and writing, so on two
     * cores a large upload takes about half as long as on one thread. Below, a hand-over would cost more than it
     * saves, and many small uploads run side by side anyway.
     */
    static final long RELAYED_FROM = 8L * 1024 * 1024;
    /**
     * Buffers between receiving and writing (and observing) once writer and observer have threads: at most this many
     * are unwritten or unobserved.
     */
    private static final int BUFFERS_IN_FLIGHT = 8;
    /** How long an upload waits for its client's next bytes holding buffers, before it gives them back. */
    static final long PATIENCE_MILLIS = 100;

    private final Path root;
    private final Path blobs;
    private final Path uploads;
    private final Path trash;

    public FileSystemBlobStore(Path root) throws IOException {
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.uploads = root.resolve("uploads");
        this.trash = root.resolve("trash");
        Files.createDirectories(blobs);
        Files.createDirectories(uploads);
        Files.createDirectories(trash);
        fsyncDirectory(root);
    }

    @Override
    public Optional<BlobContent> open(Digest digest) throws IOException {
        Path file = blobPath(digest);
        try {
            long size = Files.size(file);
            return Optional.of(new FileBlob(file, size));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void delete(Digest digest) throws IOException {
        Files.deleteIfExists(blobPath(digest));
    }

    @Override
    public void createUpload(String uploadId, boolean resumable) throws IOException {
        try {
            Files.createFile(uploadPath(uploadId));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("upload " + uploadId + " exists already", e);
        }
        if (resumable) {
            // The file's name must survive a crash with the data a write acknowledges (fdatasync does not make a new
            // directory entry durable). An upload finished in the request that starts it becomes durable by its
            // rename into the blob directory instead, which is fsync'd.
            fsyncDirectory(uploads);
        }
    }

    @Override
    public long writeUpload(String uploadId, long offset, InputStream data, BufferRelay.Consumer observer)
            throws IOException {
        try (UploadWriter out = new UploadWriter(uploadId, offset)) {
            BufferRelay relay = new BufferRelay("berth-upload", RELAYED_FROM, BUFFERS_IN_FLIGHT, out, observer);
            boolean relayed = false;
            try {
                // Whole buffers only: a request body arrives in pieces of whatever size the socket had, and each write
                // that ends inside a page makes the kernel zero the rest of that page first (and costs a system call).
                int filled = 0;
                for (int read = 0; read >= 0; ) {
                    if (slow(data)) {
                        relay.pause(filled); // the buffers go back until the client sends more
                        filled = 0;
                        ((AwaitableInput) data).awaitData(Long.MAX_VALUE);
                    }
                    byte[] buffer = relay.buffer();
                    read = data.read(buffer, filled, buffer.length - filled);
                    if (read > 0) {
                        filled += read;
                    }
                    if (filled == buffer.length || (read < 0 && filled > 0)) {
                        relay.send(filled);
                        filled = 0;
                    }
                }
                relay.finish();
                relayed = true;
            } finally {
                if (!relayed) {
                    relay.abandon(); // the writer stops before the file closes
                }
            }
            return out.finish();
        }
    }

    /**
     * Whether the client of {@code data} has sent nothing more for {@link #PATIENCE_MILLIS}: an upload waiting for
     * a slow or stalled client would otherwise hold pooled buffers that other uploads wait for.
     */
    private static boolean slow(InputStream data) throws IOException {
        // available() first: it costs nothing while the client keeps up
        return data instanceof AwaitableInput input && data.available() == 0 && !input.awaitData(PATIENCE_MILLIS);
    }

    /** One request's writes to an upload's file, from the offset acknowledged before it. */
    private final class UploadWriter implements BufferRelay.Consumer, AutoCloseable {
        private final FileChannel channel;
        private long position;
        private long unflushed;
        private Thread flusher;

        UploadWriter(String uploadId, long offset) throws IOException {
            this.channel = FileChannel.open(uploadPath(uploadId), StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            try {
                long size = channel.size();
                if (size < offset) {
                    throw new IOException("upload " + uploadId + " holds " + size + " bytes, expected " + offset);
                }
                if (size > offset) {
                    channel.truncate(offset);
                }
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            this.position = offset;
        }

        @Override
        public void accept(byte[] bytes, int length) throws IOException {
            ByteBuffer buffer = BufferPool.NATIVE.take();
            try {
                buffer.clear().put(bytes, 0, length).flip();
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
            } finally {
                BufferPool.NATIVE.give(buffer);
            }
            unflushed += length;
            if (unflushed >= FLUSH_EVERY && (flusher == null || !flusher.isAlive())) {
                flusher = Thread.ofVirtual().name("berth-flush").start(() -> flushQuietly(channel));
                unflushed = 0;
            }
        }

        /** Makes everything written durable; returns the upload's size. */
        long finish() throws IOException {
            joinFlusher();
            channel.force(false);
            return position;
        }

        private void joinFlusher() {
            if (flusher != null) {
                BufferRelay.joinUninterruptibly(flusher);
                flusher = null;
            }
        }

        @Override
        public void close() throws IOException {
            joinFlusher();
            channel.close();
        }
    }

    /**
     * Writes a large upload's data back to disk while more arrives, so that the fsync that acknowledges it has
     * little left to do. Failures surface in that final fsync.
     */
    private static void flushQuietly(FileChannel channel) {
        try {
            channel.force(false);
        } catch (IOException e) {
            // the final force(false) reports the problem
        }
    }

    @Override
    public InputStream readUpload(String uploadId, long length) throws IOException {
        return new FileBlob(uploadPath(uploadId), length).open(0, length);
    }

    @Override
    public boolean commitUpload(String uploadId, long size, Digest digest) throws IOException {
        Path upload = uploadPath(uploadId);
        try (FileChannel channel = FileChannel.open(upload, StandardOpenOption.WRITE)) {
            if (channel.size() < size) {
                throw new IOException("upload " + uploadId + " is shorter than " + size + " bytes");
            }
            if (channel.size() > size) {
                channel.truncate(size);
                channel.force(false);
            }
        }
        Path target = blobPath(digest);
        if (Files.exists(target)) {
            return false;
        }
        // The uploads directory is not fsync'd: if a crash undid the removal of the upload's name there, the file would
        // be a second name of the blob without a session, which the expiry of upload data removes.
        moveDurably(upload, target);
        return true;
    }

    /** Renames a file to a blob's path, creating its directory, and makes the rename durable. */
    private static void moveDurably(Path file, Path target) throws IOException {
        Path directory = target.getParent();
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
            fsyncDirectory(directory.getParent());
            fsyncDirectory(directory.getParent().getParent());
        }
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(directory);
    }

    @Override
    public List<String> uploadsWrittenBefore(Instant cutoff, int limit) throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(uploads)) {
            for (Path file : files) {
                if (ids.size() >= limit) {
                    break;
                }
                String id = file.getFileName().toString();
                if (UPLOAD_ID.matcher(id).matches() && writtenBefore(file, cutoff)) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    /** False for a file that went meanwhile: an upload that became a blob, or was removed. */
    private static boolean writtenBefore(Path file, Instant cutoff) throws IOException {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(cutoff);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public void deleteUpload(String uploadId) throws IOException {
        Files.deleteIfExists(uploadPath(uploadId));
    }

    @Override
    public void hide(Digest digest) throws IOException {
        try {
            // Within one file system: a rename, atomic. Not made durable: after a power loss that undoes it the blob
            // is back in place without a row, which wastes space but breaks nothing (content-addressed bytes).
            Files.move(blobPath(digest), hiddenPath(digest), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            // absent: nothing to hide
        }
    }

    @Override
    public void restore(Digest digest) throws IOException {
        Path hidden = hiddenPath(digest);
        if (!Files.exists(hidden)) {
            return;
        }
        if (Files.exists(blobPath(digest))) {
            Files.delete(hidden);
            return;
        }
        moveDurably(hidden, blobPath(digest));
    }

    @Override
    public void purge(Digest digest) throws IOException {
        Files.deleteIfExists(hiddenPath(digest));
    }

    @Override
    public List<Digest> hidden() throws IOException {
        List<Digest> digests = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(trash)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                int dash = name.indexOf('-');
                if (dash > 0) {
                    try {
                        digests.add(Digest.parse(name.substring(0, dash) + ":" + name.substring(dash + 1)));
                    } catch (InvalidDigestException e) {
                        // not ours
                    }
                }
            }
        }
        return digests;
    }

    /**
     * The blob directory must be there and the root must take a new file: a disk unmounted, a directory removed or
     * a filesystem remounted read-only fail here before a push does. Unlike a permission check, creating a file also
     * fails on a read-only mount for every user, root included.
     */
    @Override
    public void check() throws IOException {
        if (!Files.isDirectory(blobs)) {
            throw new IOException("the directory " + blobs + " is missing");
        }
        Path probe = Files.createTempFile(root, ".check-", null);
        Files.delete(probe);
    }

    @Override
    public void close() {
    }

    private Path blobPath(Digest digest) {
        // A Digest holds only a known algorithm name and lower-case hex: no path can escape the root.
        String hex = digest.hex();
        return blobs.resolve(digest.algorithm().prefix()).resolve(hex.substring(0, 2)).resolve(hex);
    }

    /** Hidden blobs sit flat in the trash directory, named {@code <algorithm>-<hex>}. */
    private Path hiddenPath(Digest digest) {
        return trash.resolve(digest.algorithm().prefix() + "-" + digest.hex());
    }

    private Path uploadPath(String uploadId) {
        if (!UPLOAD_ID.matcher(uploadId).matches()) {
            throw new IllegalArgumentException("invalid upload id");
        }
        return uploads.resolve(uploadId);
    }

    private static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private record FileBlob(Path file, long size) implements BlobContent {
        @Override
        public InputStream open(long offset, long length) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            return new BoundedInputStream(Channels.newInputStream(channel), length);
        }

        @Override
        public Optional<Path> localFile() {
            return Optional.of(file);
        }
    }
}

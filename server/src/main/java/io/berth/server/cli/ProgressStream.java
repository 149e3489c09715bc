package io.berth.server.cli;

import io.berth.client.ProgressListener;
import io.berth.oci.Descriptor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Tells a progress listener how much of a blob has been read from a download. */
final class ProgressStream extends FilterInputStream {
    private final Descriptor blob;
    private final ProgressListener progress;
    private long done;

    ProgressStream(InputStream in, Descriptor blob, ProgressListener progress) {
        super(in);
        this.blob = blob;
        this.progress = progress;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            progress.transferred(blob, ++done);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            done += n;
            progress.transferred(blob, done);
        }
        return n;
    }
}

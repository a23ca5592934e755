package dev.gantry.registry;

import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.SpoolWriter;
import java.io.IOException;

/**
 * Test fixture, never run: an upload class that names the concrete disk
 * store instead of the {@code LocalTier} port, as the upload code used to.
 * The fill-and-upload rule of {@code LayeringTest} must name it.
 */
public final class UploadsOnTheConcreteDisk {

    private UploadsOnTheConcreteDisk() {
    }

    static SpoolWriter spool(DiskBlobStore disk) throws IOException {
        return disk.newUpload();
    }
}

public import BulwarkCore

/// The PDQ hashes of an image's frames: the first frame's (a still image's only one), and those of
/// the later frames of an animation or a video that show a different picture, so that one whose
/// first frame is harmless (a title card, a blank) is still matched by what it goes on to show.
public struct AnimationPDQ: Sendable, Hashable {
    /// The first frame's hash, as ``PDQHasher/hash(_:)`` gives for ``ImageDecoder/decode(_:)``.
    public var first: PDQResult
    /// Later frames more than ``FramePDQ/sameFrameBits`` from the first and from every later frame
    /// kept before them, in order.
    public var laterFrames: [FramePDQ]
    /// How far the frames were read (the decoder's limits on frames and pixels).
    public var reading: FrameReading
    /// The size of the frames (an animation's canvas, a video stream's size).
    public var width: Int
    public var height: Int
    /// The first frame's 8 rotations and mirror images, when asked for (``PDQHasher/hashFrames(_:decoder:scratch:dihedral:storedPixels:)``).
    public var firstDihedral: PDQDihedralResult?
    /// A still image turned by its orientation metadata: the hash of its pixels as stored, when
    /// asked for (``PDQHasher/hashFrames(_:decoder:scratch:dihedral:storedPixels:)``).
    public var storedPixels: StoredPixelsPDQ?

    public init(
        first: PDQResult, laterFrames: [FramePDQ], reading: FrameReading, width: Int, height: Int,
        firstDihedral: PDQDihedralResult? = nil, storedPixels: StoredPixelsPDQ? = nil
    ) {
        self.first = first
        self.laterFrames = laterFrames
        self.reading = reading
        self.width = width
        self.height = height
        self.firstDihedral = firstDihedral
        self.storedPixels = storedPixels
    }
}

extension PDQHasher {
    /// Decodes `bytes` frame by frame with `decoder` (within its limits) and hashes every frame,
    /// keeping the later frames that show a different picture. Throws what `decoder.decode` throws
    /// for the first frame. With `dihedral`, also the first frame's 8 rotations and mirror images
    /// (``AnimationPDQ/firstDihedral``), from the same decoding, of an image or an animation: a
    /// video's frames are not turned (platforms do not re-upload videos rotated as images, and a
    /// phone's turn in the display matrix is applied already). With `storedPixels`, a still
    /// image that its orientation metadata turns is also hashed as stored
    /// (``AnimationPDQ/storedPixels``): decoded once, hashed before and after the turn.
    public func hashFrames(
        _ bytes: [UInt8], decoder: ImageDecoder, scratch: inout PDQScratch, dihedral: Bool = false,
        storedPixels: Bool = false
    ) throws(ImageError) -> AnimationPDQ {
        let dihedral = dihedral && !StillImage.isVideo(bytes)
        // Only a still image is turned (`orientation(of:)` is `.up` for the rest): decoded as
        // stored, hashed, then turned as `decode` turns it.
        let orientation = storedPixels ? decoder.orientation(of: bytes) : .up
        if orientation != .up {
            var asStored = decoder
            asStored.appliesOrientation = false
            let image = try asStored.decode(bytes)
            let storedHash = hash(image, scratch: &scratch)
            let shown = image.oriented(orientation)
            return AnimationPDQ(
                first: hash(shown, scratch: &scratch), laterFrames: [], reading: FrameReading(frames: 1), width: shown.width,
                height: shown.height, firstDihedral: dihedral ? dihedralHashes(shown, scratch: &scratch) : nil,
                storedPixels: StoredPixelsPDQ(orientation: orientation.rawValue, hash: storedHash.hash, quality: storedHash.quality))
        }
        var first: PDQResult?
        var firstDihedral: PDQDihedralResult?
        var size = (width: 0, height: 0)
        var kept: [PDQHash] = []
        var later: [FramePDQ] = []
        let reading = try decoder.forEachFrame(bytes) { index, frame in
            let hashed = hash(frame, scratch: &scratch)
            if index == 0 {
                first = hashed
                size = (frame.width, frame.height)
                if dihedral { firstDihedral = dihedralHashes(frame, scratch: &scratch) }
            } else if FramePDQ.showsAnotherPicture(hashed.hash, than: kept) {
                later.append(FramePDQ(frame: index, hash: hashed.hash, quality: hashed.quality))
            } else {
                return true
            }
            kept.append(hashed.hash)
            return true
        }
        guard let first else { throw ImageError(.corrupt, "no frame") }
        if let seconds = reading.video?.secondsPerFrame {
            for k in later.indices { later[k].second = later[k].frame * seconds }
        }
        return AnimationPDQ(
            first: first, laterFrames: later, reading: reading, width: size.width, height: size.height,
            firstDihedral: firstDihedral)
    }
}

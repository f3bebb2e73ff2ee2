/// Where an animated PNG keeps its frames: the chunks ``ImageDecoder/forEachFrame(_:_:)`` reads,
/// found by walking the file once, no pixel decoded.
///
/// An animated PNG is a PNG with an `acTL` chunk before its first `IDAT`. Each frame has a frame
/// control chunk (`fcTL`: its size, place, disposal and blending); the first frame's data is the
/// `IDAT` image when an `fcTL` comes before it, and the later frames' data are `fdAT` chunks (a
/// sequence number, then what an `IDAT` would hold). When no `fcTL` comes before the `IDAT`, the
/// `IDAT` image is a default image shown where animations are not: as Pillow does, it is still
/// frame 0, and the animation's frames follow it.
struct APNGLayout: Sendable, Equatable {
    static let headerType = PNGChunks.type("IHDR")
    static let paletteType = PNGChunks.type("PLTE")
    static let transparencyType = PNGChunks.type("tRNS")
    static let animationControlType = PNGChunks.type("acTL")
    static let frameControlType = PNGChunks.type("fcTL")
    static let frameDataType = PNGChunks.type("fdAT")

    /// A frame control chunk.
    struct FrameControl: Sendable, Equatable {
        var width: Int
        var height: Int
        var x: Int
        var y: Int
        /// What becomes of the frame's rectangle before the next frame is drawn: 0 nothing, 1
        /// cleared (to zero samples), 2 put back as it was before the frame. Other values are
        /// taken as 0, as Pillow takes them.
        var disposal: UInt8
        /// 0: the frame's samples replace the rectangle's; 1: they are drawn over it by their alpha.
        var blend: UInt8
    }

    /// A later frame: its control chunk and where its data lie (each `fdAT`'s data after the
    /// sequence number).
    struct Frame: Sendable, Equatable {
        var control: FrameControl
        var data: [Range<Int>]
    }

    var width: Int
    var height: Int
    /// The IHDR chunk's data (13 bytes).
    var header: Range<Int>
    /// The PLTE and tRNS chunks' data, when they come before the first IDAT.
    var palette: Range<Int>?
    var transparency: Range<Int>?
    /// The number of frames the acTL chunk declares.
    var declaredFrames: Int
    /// The first frame's control, when the IDAT image is the animation's first frame.
    var firstControl: FrameControl?
    /// The frames after the IDAT image, in order, as far as the walk read them.
    var later: [Frame]
    /// Why the walk stopped before the IEND chunk (the frame it was reading, `later.count + 1`,
    /// is not given), or nil.
    var stop: String?

    /// Frames an animation of this layout shows, as Pillow counts them: those the acTL chunk
    /// declares, and the default image when it is not one of them.
    var frameCount: Int { declaredFrames + (firstControl == nil ? 1 : 0) }

    /// The layout of `bytes`, or nil when they are not an animated PNG: not a PNG, no acTL chunk
    /// before the first IDAT, an acTL declaring no frames or more than 2^31, or a header that does not read (the
    /// decoder then treats the file as a still image and says what is wrong with it).
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 8, bytes.prefix(8).elementsEqual(signature) else { return nil }
        func u32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }

        var header: Range<Int>?
        var palette: Range<Int>?
        var transparency: Range<Int>?
        var declared: Int?
        var firstControl: FrameControl?
        var later: [Frame] = []
        var current: Frame?
        var stop: String?
        var sequence = -1
        var imageSeen = false
        var chunks = PNGChunks(bytes)
        walk: while let chunk = chunks.next() {
            let type = chunk.type
            let data = chunk.data
            let start = data.lowerBound
            if !imageSeen {
                switch type {
                case Self.headerType where data.count == 13: header = data
                case Self.paletteType: palette = data
                case Self.transparencyType: transparency = data
                case Self.animationControlType where data.count >= 8: declared = u32(start)
                case PNGChunks.imageData: imageSeen = true
                case Self.frameControlType: break
                default: continue walk
                }
                if type != Self.frameControlType { continue walk }
            }
            let name = PNGChunks.name(type)
            // fcTL and fdAT chunks share one sequence, counted from 0; true when this chunk's
            // number comes next.
            func inSequence() -> Bool {
                guard u32(start) == sequence + 1 else {
                    stop = "the \(name) chunk at byte \(chunk.start) has sequence number \(u32(start)), not \(sequence + 1)"
                    return false
                }
                sequence += 1
                return true
            }
            switch type {
            case Self.frameControlType:
                if imageSeen, let frame = current {
                    guard !frame.data.isEmpty else {
                        stop = "the fcTL chunk at byte \(chunk.start) follows a frame control with no fdAT chunk"
                        break walk
                    }
                    later.append(frame)
                    current = nil
                }
                guard data.count >= 26 else {
                    stop = "the fcTL chunk at byte \(chunk.start) holds \(data.count) bytes, not 26"
                    break walk
                }
                guard inSequence() else { break walk }
                let control = FrameControl(
                    width: u32(start + 4), height: u32(start + 8), x: u32(start + 12), y: u32(start + 16),
                    disposal: bytes[start + 24], blend: bytes[start + 25])
                if !imageSeen {
                    firstControl = control
                    continue walk
                }
                current = Frame(control: control, data: [])
            case Self.frameDataType:
                guard data.count >= 4 else {
                    stop = "the fdAT chunk at byte \(chunk.start) holds \(data.count) bytes, fewer than its sequence number's 4"
                    break walk
                }
                guard inSequence() else { break walk }
                current?.data.append((start + 4)..<data.upperBound)
            case PNGChunks.end:
                break walk
            default:
                continue walk
            }
        }
        if let cut = chunks.cut {
            // The frame being read ends before a chunk other than its data.
            if cut.type != Self.frameDataType, let frame = current, !frame.data.isEmpty {
                later.append(frame)
                current = nil
            }
            stop = "the \(PNGChunks.name(cut.type)) chunk at byte \(cut.start) declares \(cut.length) bytes, past the end of the data (\(bytes.count) bytes)"
        }
        // Pillow takes a count of 0 or past 2^31 as no animation, as here.
        guard let header, let declared, declared > 0, declared <= 0x8000_0000, imageSeen else { return nil }
        // A frame whose data the walk stopped inside is not given.
        if let frame = current, stop == nil {
            if frame.data.isEmpty {
                stop = "a frame control with no fdAT chunk"
            } else {
                later.append(frame)
            }
        }
        self.width = u32(header.lowerBound)
        self.height = u32(header.lowerBound + 4)
        self.header = header
        self.palette = palette
        self.transparency = transparency
        self.declaredFrames = declared
        self.firstControl = firstControl
        self.later = later
        self.stop = stop
    }
}

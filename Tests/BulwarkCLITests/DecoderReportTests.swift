import BulwarkMedia
import Testing

@testable import bulwark

/// What `bulwark hash` takes from its decoder process is written into its output as it is, so a
/// report must be one line of JSON members after a comma, as the command writes them: a decoder
/// taken over cannot end the line, open another one that passes for another file's, or leave the
/// line unreadable.
struct DecoderReportTests {
    @Test func onlyALineOfJSONMembersIsTaken() throws {
        var scratch = PDQScratch()
        let made = try HashingPipeline(luma: .float32, dihedral: true).fields(
            try MediaDecoderProcessTests.read(MediaDecoderProcessTests.fixtures + "rgb.jpg"), scratch: &scratch
        ).get()
        #expect(try HashingPipeline.checkedFields(made).get() == made)
        for forged in [
            #","pdq":"00"}"# + "\n" + #"{"path":"other.jpg","pdq":"ff""#, #","pdq":"00"#, #"pdq":"00""#, #","pdq":00 "x""#, "",
            #","pdq":"00"}{"path":"x""#,
        ] {
            let refused = HashingPipeline.checkedFields(Array(forged.utf8))
            #expect(throws: ImageError.self, "\(forged)") { try refused.get() }
        }
    }
}

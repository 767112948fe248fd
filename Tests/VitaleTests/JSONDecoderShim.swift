import Foundation
import Vitale

enum JSONDecoderShim {
    static func decode(_ text: String) throws -> VitaleCard {
        try JSONDecoder().decode(VitaleCard.self, from: Data(text.utf8))
    }
}

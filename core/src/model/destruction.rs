//! The vocabulary of destruction methods (format version 2), in the words of IATG 10.10
//! (demilitarization and destruction of conventional ammunition) and MOSAIC 05.50 (destruction
//! of small arms and light weapons). A destruction names its method as a list of steps in the
//! order they were carried out (`["shredding", "melting"]`), beside the free text that
//! describes it; an authorisation names the steps it allows.

use serde::{Deserialize, Serialize};

/// One step of a destruction method.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestructionMethod {
    /// Cutting the receiver, barrel and working parts (oxy-acetylene, plasma, band saw,
    /// hydraulic shears; MOSAIC 05.50).
    Cutting,
    /// Shredding in an industrial shredder (MOSAIC 05.50).
    Shredding,
    /// Crushing, for example under a tracked vehicle or roller (MOSAIC 05.50).
    Crushing,
    /// Pressing in a hydraulic press (MOSAIC 05.50).
    Pressing,
    /// Bending or otherwise deforming the essential components beyond repair (MOSAIC 05.50).
    Deformation,
    /// Melting or smelting in a furnace or foundry (MOSAIC 05.50).
    Melting,
    /// Open burning (IATG 10.10; burning of weapons, MOSAIC 05.50).
    OpenBurning,
    /// Open detonation by demolition charges (IATG 10.10; MOSAIC 05.50).
    OpenDetonation,
    /// Detonation in a contained (closed) detonation chamber (IATG 10.10).
    ContainedDetonation,
    /// Incineration in a static or rotary kiln (IATG 10.10).
    Incineration,
    /// Breakdown and disassembly: pull-apart of rounds, removal of fuzes (IATG 10.10).
    Disassembly,
    /// Removal of the explosive fill by washout, meltout or steam-out (IATG 10.10).
    ExplosiveRemoval,
    /// Chemical neutralisation of the energetic material (IATG 10.10).
    ChemicalNeutralisation,
    /// Cryofracture: cooling in liquid nitrogen, then fracture in a press (IATG 10.10).
    Cryofracture,
    /// Another method, which the free text describes.
    Other,
}

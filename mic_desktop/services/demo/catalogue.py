"""Static catalogues of the demo clinic: names, places, scan menu, medical aids, report texts.

Contact details that could reach a real person use reserved ``.example`` domains;
phone numbers follow the Zimbabwean mobile plan and are made up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# --- The clinic -------------------------------------------------------------------------

CLINIC_TIME_ZONE = "Africa/Harare"
CLINIC_SETTINGS = {
    "name": "MIC Medical Imaging Centre (Demo)",
    "address": "4th Floor, Baines Medical Chambers\n32 Baines Avenue, Avenues\nHarare, Zimbabwe",
    "phone": "+263242700123",
    "email": "bookings@mic-demo.example",
    "time_zone": CLINIC_TIME_ZONE,
    "currency": "USD",
    "phone_region": "ZW",
}

# --- Staff ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffDef:
    username: str
    role: str
    full_name: str
    professional_title: str | None = None


# Colleagues of the demo accounts; each shares the password of the demo account of its role.
EXTRA_STAFF: tuple[StaffDef, ...] = (
    StaffDef("skhumalo", "radiologist", "Dr Sibusiso Khumalo", "MBChB (UZ), FC Rad (Diag) SA"),
    StaffDef("rchigumba", "radiologist", "Dr Rumbidzai Chigumba", "MBChB, MMed Radiology (UZ)"),
    StaffDef("fmakoni", "radiologist", "Dr Farai Makoni", "MBChB (UZ), MMed Radiology (UCT)"),
    StaffDef("tgumbo", "reception", "Tatenda Gumbo"),
    StaffDef("tsibanda", "reception", "Thandiwe Sibanda"),
)

# Weekly availability per radiologist (in order: the demo radiologist, then EXTRA_STAFF's):
# weekday -> (start, end). Two full-time radiologists so one may be on leave at a time.
_FULL_WEEK = {d: (dt.time(7, 30), dt.time(17, 0)) for d in range(5)}
RADIOLOGIST_AVAILABILITY: tuple[dict[int, tuple[dt.time, dt.time]], ...] = (
    {**_FULL_WEEK, 5: (dt.time(8, 0), dt.time(12, 0))},
    dict(_FULL_WEEK),
    {
        0: (dt.time(7, 30), dt.time(13, 0)),
        1: (dt.time(12, 0), dt.time(17, 0)),
        2: (dt.time(7, 30), dt.time(13, 0)),
        3: (dt.time(12, 0), dt.time(17, 0)),
        4: (dt.time(7, 30), dt.time(13, 0)),
        5: (dt.time(8, 0), dt.time(12, 0)),
    },
    {d: (dt.time(7, 30), dt.time(17, 0)) for d in (1, 2, 3)},
)

LEAVE_REASONS = (
    "Annual leave",
    "Annual leave",
    "Annual leave",
    "Conference (RSNA)",
    "Conference (ECR)",
    "Sick leave",
    "Study leave",
    "Family responsibility",
)

RECEPTION_WORKSTATIONS = ("RECEPTION-1", "RECEPTION-2")
REPORTING_WORKSTATION = "REPORTING-1"
MANAGER_WORKSTATION = "MANAGER-PC"

# --- Facility and scan menu --------------------------------------------------------------


@dataclass(frozen=True)
class ModalityDef:
    code: str
    name: str
    needs_radiologist_on_site: bool
    rooms: tuple[str, ...]  # base rooms; a big simulated clinic gets more
    weekday_hours: tuple[dt.time, dt.time]  # Monday to Friday
    saturday_hours: tuple[dt.time, dt.time] | None  # None: closed on Saturdays
    urgent_rate: float


# One room per modality, as a mid-sized private clinic has; X-ray takes walk-ins all day,
# mammography is a morning list. Together with the scans' weights below, each room's
# share of the bookings matches its share of the open weekday minutes.
MODALITIES: tuple[ModalityDef, ...] = (
    ModalityDef(
        "XR", "X-ray", False, ("X-ray",), (dt.time(7, 30), dt.time(17, 0)),
        (dt.time(8, 0), dt.time(12, 0)), 0.12,
    ),
    ModalityDef(
        "CT", "Computed tomography", True, ("CT",), (dt.time(8, 0), dt.time(16, 30)),
        (dt.time(8, 0), dt.time(12, 0)), 0.22,
    ),
    ModalityDef(
        "MR", "Magnetic resonance imaging", True, ("MRI",), (dt.time(8, 0), dt.time(16, 30)),
        None, 0.06,
    ),
    ModalityDef(
        "US", "Ultrasound", False, ("Ultrasound",), (dt.time(8, 0), dt.time(16, 0)),
        (dt.time(8, 0), dt.time(12, 0)), 0.08,
    ),
    ModalityDef(
        "MG", "Mammography", False, ("Mammography",), (dt.time(8, 0), dt.time(12, 0)), None, 0.01,
    ),
)  # fmt: skip

# Who a scan is for: "any", "female" (mostly), "female_15" (women 15+), "female_35"
# (women 35+), "pregnant" (women 16-44).
ReportText = tuple[str, str]  # (findings, impression)
CriticalText = tuple[str, str, str]  # (findings, impression, what was critical)

_METAL = "Remove jewellery, hairpins and clothing with metal (zips, underwire) from the area."
_PREGNANT = "Tell the radiographer if you are or might be pregnant."
_CONTRAST = (
    "Nothing to eat for 4 hours before (water is fine). Bring a kidney function (creatinine) "
    "result from the last 3 months and tell us about allergies, asthma, diabetes "
    "medicine (metformin) or kidney disease."
)
_MRI = (
    "Tell us before the day about a pacemaker, cochlear implant, aneurysm clip, metal "
    "fragments in the eyes or any surgical implant. Arrive 30 minutes early to complete the "
    "MRI safety form. Leave jewellery, watches and bank cards at home or in the locker."
)


@dataclass(frozen=True)
class ScanDef:
    code: str
    name: str
    modality: str
    minutes: int
    price: str  # USD, current price
    preparation: str
    preauthorisation: bool
    weight: float  # how often it is booked, relative
    audience: str
    indications: tuple[str, ...]
    reports: tuple[ReportText, ...]  # the first is the normal report
    critical: tuple[CriticalText, ...] = ()


SCANS: tuple[ScanDef, ...] = (
    ScanDef(
        "XR-CHEST",
        "X-ray chest PA",
        "XR",
        10,
        "35.00",
        f"{_METAL} {_PREGNANT}",
        False,
        11.5,
        "any",
        (
            "Cough for 3 weeks, ?pneumonia",
            "Pre-employment medical",
            "TB screening, contact at home",
            "Shortness of breath on exertion",
            "Fever and chest pain, ?consolidation",
            "Follow-up of treated pneumonia",
        ),
        (
            (
                "The lungs are clear. No focal consolidation, pleural effusion or "
                "pneumothorax. The heart is not enlarged (CTR 0.45). The mediastinum and "
                "hila are normal. The bones are intact.",
                "Normal chest radiograph.",
            ),
            (
                "Patchy airspace opacification in the right lower zone with air "
                "bronchograms. Small right costophrenic angle blunting. Heart size normal.",
                "Right lower lobe consolidation in keeping with pneumonia. Small right "
                "pleural effusion. Suggest follow-up film in 6 weeks after treatment.",
            ),
            (
                "Fibronodular opacities in the right upper zone with volume loss and a "
                "thin-walled cavity of 2 cm. The left lung is clear.",
                "Right upper lobe changes suspicious for pulmonary tuberculosis, possibly "
                "active. Sputum GeneXpert recommended.",
            ),
            (
                "Cardiomegaly with a CTR of 0.58. Upper lobe venous diversion and bilateral "
                "small pleural effusions.",
                "Cardiomegaly with features of congestive cardiac failure.",
            ),
        ),
        (
            (
                "Large right pneumothorax with the lung edge 4 cm from the chest wall and "
                "mediastinal shift to the left.",
                "Large right tension pneumothorax. Immediate clinical review required.",
                "Large right pneumothorax with mediastinal shift",
            ),
        ),
    ),
    ScanDef(
        "XR-CHEST2",
        "X-ray chest PA and lateral",
        "XR",
        15,
        "45.00",
        f"{_METAL} {_PREGNANT}",
        False,
        3.3,
        "any",
        ("Persistent cough in a smoker", "Haemoptysis, ?mass", "Chest pain after a fall"),
        (
            (
                "PA and lateral views. The lungs are clear and the pleural spaces are "
                "normal. Normal cardiac and mediastinal contours.",
                "No active chest disease.",
            ),
            (
                "A 3 cm rounded opacity in the left mid zone, projecting posteriorly on the "
                "lateral view. No effusion.",
                "Left lung mass. CT chest with contrast is recommended.",
            ),
        ),
    ),
    ScanDef(
        "XR-KNEE",
        "X-ray knee (2 views)",
        "XR",
        10,
        "40.00",
        f"Wear shorts or loose trousers. {_PREGNANT}",
        False,
        4.1,
        "any",
        ("Knee pain after a soccer injury", "Chronic knee pain, ?osteoarthritis", "Swollen knee"),
        (
            (
                "AP and lateral views. Normal alignment. Joint spaces preserved. No "
                "fracture, effusion or bony lesion.",
                "Normal knee radiographs.",
            ),
            (
                "Medial tibiofemoral joint space narrowing with marginal osteophytes and "
                "subchondral sclerosis. Small suprapatellar effusion.",
                "Moderate medial compartment osteoarthritis.",
            ),
        ),
    ),
    ScanDef(
        "XR-LSPINE",
        "X-ray lumbar spine",
        "XR",
        15,
        "55.00",
        f"{_METAL} {_PREGNANT}",
        False,
        3.3,
        "any",
        ("Low back pain for 2 months", "Back pain after lifting", "Back pain, weight loss"),
        (
            (
                "Five lumbar vertebrae. Normal alignment and vertebral body heights. Disc "
                "spaces preserved. No pars defect.",
                "Normal lumbar spine.",
            ),
            (
                "Disc space narrowing at L4/5 and L5/S1 with anterior osteophytes. Grade 1 "
                "anterolisthesis of L4 on L5.",
                "Lumbar spondylosis with grade 1 degenerative spondylolisthesis at L4/5.",
            ),
        ),
    ),
    ScanDef(
        "XR-WRIST",
        "X-ray wrist / hand",
        "XR",
        10,
        "35.00",
        "Remove rings, bracelets and watches.",
        False,
        2.5,
        "any",
        ("Fall on outstretched hand, ?fracture", "Painful swollen wrist", "Hand injury at work"),
        (
            (
                "No fracture or dislocation. Normal carpal alignment. Soft tissues normal.",
                "No bony injury.",
            ),
            (
                "Transverse fracture of the distal radial metaphysis with dorsal angulation "
                "of 15 degrees. Ulnar styloid fracture.",
                "Colles-type distal radius fracture.",
            ),
        ),
    ),
    ScanDef(
        "XR-ANKLE",
        "X-ray ankle",
        "XR",
        10,
        "38.00",
        "Remove anklets and socks.",
        False,
        2.5,
        "any",
        ("Inversion injury, unable to bear weight", "Ankle swelling after a fall"),
        (
            (
                "Ankle mortise congruent. No fracture. Soft tissue swelling laterally.",
                "Soft tissue injury only, no fracture.",
            ),
            (
                "Oblique fracture of the lateral malleolus at the level of the syndesmosis. "
                "Mortise congruent.",
                "Weber B fracture of the lateral malleolus.",
            ),
        ),
    ),
    ScanDef(
        "XR-PELVIS",
        "X-ray pelvis and hips",
        "XR",
        10,
        "45.00",
        f"{_METAL} {_PREGNANT}",
        False,
        1.6,
        "any",
        ("Hip pain, ?avascular necrosis", "Fall, painful left hip", "Hip pain on walking"),
        (
            (
                "Pelvic ring intact. Both hip joints normal. No fracture.",
                "Normal pelvis and hips.",
            ),
            (
                "Superolateral joint space loss of the right hip with osteophytes and "
                "subchondral cysts.",
                "Moderate right hip osteoarthritis.",
            ),
        ),
        (
            (
                "Displaced subcapital fracture of the left femoral neck.",
                "Displaced left neck of femur fracture. Urgent orthopaedic referral.",
                "Displaced left femoral neck fracture",
            ),
        ),
    ),
    ScanDef(
        "CT-HEAD",
        "CT head without contrast",
        "CT",
        20,
        "220.00",
        "No special preparation. Remove hairpins, earrings and dentures before the scan.",
        True,
        4.4,
        "any",
        (
            "Head injury in a road traffic accident",
            "Sudden severe headache",
            "New onset seizure",
            "Confusion in an elderly patient, ?stroke",
        ),
        (
            (
                "No intracranial haemorrhage, mass effect or midline shift. Grey-white "
                "differentiation preserved. Ventricles and sulci normal for age. No "
                "skull fracture.",
                "Normal non-contrast CT head.",
            ),
            (
                "Low attenuation in the left MCA territory involving the insular cortex "
                "with loss of grey-white differentiation. No haemorrhage.",
                "Established left MCA territory infarct.",
            ),
            (
                "Periventricular white matter low attenuation and generalised volume loss. "
                "No acute abnormality.",
                "Chronic small vessel ischaemic change. No acute intracranial pathology.",
            ),
        ),
        (
            (
                "Crescentic hyperdense extra-axial collection over the right convexity, "
                "maximum thickness 14 mm, with 7 mm midline shift to the left.",
                "Acute right subdural haematoma with mass effect. Neurosurgical referral.",
                "Acute subdural haematoma with midline shift",
            ),
        ),
    ),
    ScanDef(
        "CT-HEADC",
        "CT head with contrast",
        "CT",
        30,
        "290.00",
        _CONTRAST,
        True,
        1.7,
        "any",
        ("Headaches and vomiting, ?space-occupying lesion", "HIV positive, ?toxoplasmosis"),
        (
            (
                "Pre- and post-contrast images. No enhancing lesion. Normal ventricles. No "
                "haemorrhage.",
                "Normal contrast-enhanced CT head.",
            ),
            (
                "Two ring-enhancing lesions in the right basal ganglia and left frontal lobe "
                "with surrounding oedema.",
                "Multiple ring-enhancing lesions: toxoplasmosis is the main differential; "
                "lymphoma less likely.",
            ),
        ),
    ),
    ScanDef(
        "CT-CHEST",
        "CT chest with contrast",
        "CT",
        30,
        "330.00",
        _CONTRAST,
        True,
        1.7,
        "any",
        ("Lung mass on chest X-ray", "Haemoptysis", "Staging of known carcinoma"),
        (
            (
                "No pulmonary nodule or mass. No mediastinal or hilar lymphadenopathy. No "
                "pleural effusion.",
                "Normal CT chest.",
            ),
            (
                "Spiculated 28 mm mass in the left upper lobe with enlarged ipsilateral "
                "hilar nodes (14 mm short axis).",
                "Left upper lobe mass highly suspicious for primary lung carcinoma, at "
                "least T2N1. Tissue diagnosis recommended.",
            ),
        ),
        (
            (
                "Filling defects in the right and left main pulmonary arteries extending "
                "into the lobar branches. RV/LV ratio 1.3.",
                "Bilateral pulmonary emboli with right heart strain.",
                "Bilateral pulmonary embolism with right heart strain",
            ),
        ),
    ),
    ScanDef(
        "CT-ABDPEL",
        "CT abdomen and pelvis with contrast",
        "CT",
        40,
        "420.00",
        f"{_CONTRAST} Arrive 60 minutes early to drink the oral contrast.",
        True,
        2.2,
        "any",
        ("Abdominal pain and weight loss", "Right iliac fossa pain, ?appendicitis", "Staging"),
        (
            (
                "Liver, spleen, pancreas, adrenals and kidneys normal. No lymphadenopathy "
                "or free fluid. Bowel normal in calibre.",
                "Normal CT abdomen and pelvis.",
            ),
            (
                "Dilated appendix (11 mm) with periappendiceal fat stranding and an "
                "appendicolith. No collection.",
                "Acute appendicitis without perforation.",
            ),
            (
                "Multiple hypodense liver lesions up to 35 mm. Irregular wall thickening of "
                "the sigmoid colon.",
                "Sigmoid colon tumour with liver metastases.",
            ),
        ),
        (
            (
                "Free intraperitoneal gas under the diaphragm and in the lesser sac, with "
                "free fluid.",
                "Pneumoperitoneum in keeping with a perforated viscus. Surgical emergency.",
                "Pneumoperitoneum, perforated viscus",
            ),
        ),
    ),
    ScanDef(
        "CT-KUB",
        "CT KUB (kidneys, ureters, bladder)",
        "CT",
        20,
        "240.00",
        "Drink 2 glasses of water 30 minutes before. No contrast is given.",
        True,
        1.1,
        "any",
        ("Left renal colic", "Haematuria", "Right loin pain, ?stone"),
        (
            (
                "No urinary tract calculus. No hydronephrosis. Bladder normal.",
                "No urolithiasis.",
            ),
            (
                "A 6 mm calculus at the left vesicoureteric junction with mild left "
                "hydroureteronephrosis and perinephric stranding.",
                "Obstructing 6 mm left VUJ calculus.",
            ),
        ),
    ),
    ScanDef(
        "MR-BRAIN",
        "MRI brain",
        "MR",
        45,
        "480.00",
        _MRI,
        True,
        2.3,
        "any",
        ("Chronic headaches", "Seizures", "Visual disturbance, ?pituitary lesion", "?MS"),
        (
            (
                "Normal brain parenchymal signal. No restricted diffusion. Ventricles "
                "normal. Pituitary normal. No abnormal enhancement.",
                "Normal MRI brain.",
            ),
            (
                "Multiple ovoid T2/FLAIR hyperintense lesions perpendicular to the "
                "ventricles, two enhancing.",
                "Appearances in keeping with demyelination (multiple sclerosis) with "
                "active lesions.",
            ),
            (
                "A 14 mm enhancing sellar lesion displacing the optic chiasm superiorly.",
                "Pituitary macroadenoma with chiasmal compression.",
            ),
        ),
        (
            (
                "Restricted diffusion in the right MCA territory with corresponding FLAIR "
                "change and no haemorrhage.",
                "Acute right MCA territory infarct.",
                "Acute infarct",
            ),
        ),
    ),
    ScanDef(
        "MR-LSPINE",
        "MRI lumbar spine",
        "MR",
        40,
        "450.00",
        _MRI,
        True,
        2.3,
        "any",
        ("Sciatica, right leg", "Back pain with leg weakness", "Failed conservative treatment"),
        (
            (
                "Normal alignment. Discs of normal height and signal. No canal or foraminal "
                "stenosis. Conus ends at L1.",
                "Normal MRI lumbar spine.",
            ),
            (
                "L4/5 right paracentral disc extrusion compressing the traversing right L5 "
                "nerve root. Mild canal stenosis.",
                "L4/5 disc extrusion with right L5 root compression.",
            ),
        ),
        (
            (
                "Large central L3/4 disc extrusion occupying 80 % of the canal with "
                "compression of the cauda equina.",
                "Cauda equina compression. Urgent spinal surgical referral.",
                "Cauda equina compression",
            ),
        ),
    ),
    ScanDef(
        "MR-KNEE",
        "MRI knee",
        "MR",
        40,
        "420.00",
        _MRI,
        True,
        1.7,
        "any",
        ("Twisting injury, locking, ?meniscal tear", "Knee instability after sport"),
        (
            (
                "Menisci intact. Cruciate and collateral ligaments intact. No bone bruise. "
                "Articular cartilage preserved.",
                "Normal MRI knee.",
            ),
            (
                "Complex tear of the posterior horn of the medial meniscus. Complete tear "
                "of the anterior cruciate ligament with bone bruising.",
                "ACL rupture and medial meniscal tear.",
            ),
        ),
    ),
    ScanDef(
        "MR-CSPINE",
        "MRI cervical spine",
        "MR",
        40,
        "450.00",
        _MRI,
        True,
        1.15,
        "any",
        ("Neck pain radiating to the arm", "Hand numbness, ?myelopathy"),
        (
            (
                "Normal alignment. No disc herniation or cord signal change.",
                "Normal MRI cervical spine.",
            ),
            (
                "C5/6 and C6/7 disc osteophyte complexes with bilateral foraminal narrowing, "
                "worse on the left.",
                "Cervical spondylosis with left C6 and C7 foraminal stenosis.",
            ),
        ),
    ),
    ScanDef(
        "US-ABDO",
        "Ultrasound abdomen",
        "US",
        20,
        "55.00",
        "Nothing to eat or drink (except a little water) for 6 hours before the scan.",
        False,
        5.9,
        "any",
        ("Right upper quadrant pain", "Abnormal liver function tests", "Abdominal distension"),
        (
            (
                "Liver normal in size and echotexture. Gallbladder thin-walled without "
                "stones. CBD 4 mm. Pancreas, spleen and kidneys normal. No free fluid.",
                "Normal abdominal ultrasound.",
            ),
            (
                "Multiple mobile echogenic gallstones with posterior shadowing. Gallbladder "
                "wall 2 mm. CBD 5 mm.",
                "Cholelithiasis without cholecystitis.",
            ),
            (
                "Liver bright and enlarged (17 cm) with posterior attenuation. Spleen normal.",
                "Hepatomegaly with fatty infiltration.",
            ),
        ),
    ),
    ScanDef(
        "US-PELVIS",
        "Ultrasound pelvis",
        "US",
        20,
        "50.00",
        "Drink 1 litre of water one hour before the scan and do not empty your bladder.",
        False,
        3.7,
        "female_15",
        ("Heavy menstrual bleeding", "Pelvic pain", "Infertility workup"),
        (
            (
                "Uterus anteverted, normal size. Endometrium 7 mm. Both ovaries normal. No "
                "free fluid.",
                "Normal pelvic ultrasound.",
            ),
            (
                "Bulky uterus with three intramural fibroids, the largest 42 mm in the fundus.",
                "Uterine fibroids.",
            ),
            (
                "Simple left ovarian cyst of 38 mm. Right ovary normal.",
                "Simple left ovarian cyst, likely functional. Repeat in 8 weeks.",
            ),
        ),
    ),
    ScanDef(
        "US-OBS",
        "Obstetric ultrasound",
        "US",
        30,
        "50.00",
        "Before 14 weeks: drink 2-3 glasses of water an hour before. Bring your antenatal card.",
        False,
        5.2,
        "pregnant",
        ("Dating scan", "Anomaly scan at 20 weeks", "Growth scan", "Reduced fetal movements"),
        (
            (
                "Single live intrauterine pregnancy. Biometry consistent with dates. "
                "Placenta posterior, not low lying. Liquor normal.",
                "Normal single live intrauterine pregnancy.",
            ),
            (
                "Twin live intrauterine pregnancy, dichorionic diamniotic, concordant growth.",
                "DCDA twin pregnancy.",
            ),
            (
                "Single live fetus. Placenta anterior and completely covering the internal os.",
                "Major placenta praevia. Obstetric review.",
            ),
        ),
        (
            (
                "Single intrauterine fetus with no cardiac activity seen. Biometry 2 weeks "
                "behind dates.",
                "Intrauterine fetal death.",
                "No fetal heart activity",
            ),
        ),
    ),
    ScanDef(
        "US-THYROID",
        "Ultrasound thyroid / neck",
        "US",
        20,
        "55.00",
        "No special preparation. Please wear an open-necked top.",
        False,
        1.5,
        "any",
        ("Neck swelling", "Thyroid nodule on examination", "Hyperthyroidism"),
        (
            (
                "Thyroid normal in size and echotexture. No nodules. No lymphadenopathy.",
                "Normal thyroid ultrasound.",
            ),
            (
                "A 19 mm solid hypoechoic nodule in the right lobe with microcalcifications.",
                "TI-RADS 5 right thyroid nodule. Fine-needle aspiration recommended.",
            ),
        ),
    ),
    ScanDef(
        "US-BREAST",
        "Ultrasound breast",
        "US",
        20,
        "60.00",
        "No special preparation.",
        False,
        1.5,
        "female",
        ("Breast lump", "Breast pain", "Follow-up of a mammographic finding"),
        (
            (
                "No solid or cystic lesion in either breast. Axillae normal.",
                "Normal breast ultrasound. BI-RADS 1.",
            ),
            (
                "A 15 mm oval, circumscribed, parallel hypoechoic mass at 10 o'clock in the "
                "left breast.",
                "Probable fibroadenoma. BI-RADS 3, follow-up in 6 months.",
            ),
        ),
    ),
    ScanDef(
        "US-DVT",
        "Doppler ultrasound leg veins",
        "US",
        30,
        "90.00",
        "No special preparation. Wear loose clothing.",
        False,
        1.1,
        "any",
        ("Swollen painful calf, ?DVT", "Leg swelling after a long flight"),
        (
            (
                "The deep veins of the leg are compressible with normal flow and augmentation.",
                "No deep vein thrombosis.",
            ),
            (
                "Non-compressible left popliteal and posterior tibial veins with "
                "intraluminal thrombus.",
                "Left popliteal and calf deep vein thrombosis.",
            ),
        ),
    ),
    ScanDef(
        "MG-BILAT",
        "Mammogram bilateral",
        "MG",
        20,
        "85.00",
        "Do not use deodorant, powder or lotion under the arms or on the breasts on the day. "
        "Bring previous mammograms.",
        False,
        26,
        "female_35",
        ("Screening mammogram", "Family history of breast cancer", "Annual screening"),
        (
            (
                "Scattered fibroglandular density (ACR B). No mass, architectural "
                "distortion or suspicious calcification.",
                "BI-RADS 1: negative. Routine screening recommended.",
            ),
            (
                "Scattered benign-appearing calcifications bilaterally. No mass.",
                "BI-RADS 2: benign findings.",
            ),
            (
                "An 18 mm irregular spiculated mass in the upper outer quadrant of the right "
                "breast.",
                "BI-RADS 5: highly suggestive of malignancy. Biopsy recommended.",
            ),
        ),
    ),
    ScanDef(
        "MG-DIAG",
        "Diagnostic mammogram with extra views",
        "MG",
        30,
        "110.00",
        "Do not use deodorant, powder or lotion under the arms or on the breasts on the day. "
        "Bring previous mammograms.",
        False,
        5.4,
        "female_35",
        ("Palpable lump, left breast", "Nipple discharge", "Recall from screening"),
        (
            (
                "Spot compression views show no persistent abnormality.",
                "BI-RADS 1: the screening finding was summation of tissue.",
            ),
            (
                "A 12 mm oval circumscribed mass, correlating with a simple cyst on ultrasound.",
                "BI-RADS 2: benign cyst.",
            ),
        ),
    ),
)

# Past prices: code -> ((months before today, price until then), ...), oldest first.
PRICE_HISTORY: dict[str, tuple[tuple[int, str], ...]] = {
    "XR-CHEST": ((15, "30.00"), (6, "32.00")),
    "CT-HEAD": ((10, "200.00"),),
    "CT-ABDPEL": ((10, "390.00"),),
    "MR-BRAIN": ((13, "450.00"),),
    "MR-LSPINE": ((13, "420.00"),),
    "US-ABDO": ((8, "50.00"),),
    "US-OBS": ((18, "45.00"),),
    "MG-BILAT": ((4, "80.00"),),
}

# --- Medical aids --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanDef:
    name: str
    default_percent: str
    imaging_percent: str  # CT and MRI, which need pre-authorisation
    caps: dict[str, str]  # modality code -> cap per scan (USD)
    maternity_percent: str | None  # obstetric ultrasound, when it differs from the default
    weight: float  # share of members


@dataclass(frozen=True)
class SchemeDef:
    name: str
    code: str
    claims_phone: str
    claims_email: str
    member_prefix: str
    member_digits: int
    plans: tuple[PlanDef, ...]
    weight: float


MAMMOGRAM_CAP = "80.00"  # every plan pays screening mammograms up to this amount

SCHEMES: tuple[SchemeDef, ...] = (
    SchemeDef(
        "CIMAS Medical Aid Society",
        "CIMAS",
        "+263242773000",
        "claims@cimas.example",
        "",
        8,
        (
            PlanDef("Essential", "70", "60", {"CT": "200.00", "MR": "280.00"}, None, 3),
            PlanDef("Private Hospital", "85", "80", {"MR": "400.00"}, "100", 4),
            PlanDef("Medexec", "100", "100", {}, "100", 1.5),
        ),
        36,
    ),
    SchemeDef(
        "PSMAS",
        "PSMAS",
        "+263242706000",
        "claims@psmas.example",
        "P",
        7,
        (
            PlanDef("Standard", "75", "70", {"CT": "220.00", "MR": "300.00"}, None, 5),
            PlanDef("Premium", "90", "85", {}, "100", 2),
        ),
        28,
    ),
    SchemeDef(
        "First Mutual Health",
        "FMH",
        "+263242886000",
        "claims@fmhealth.example",
        "FMH",
        6,
        (
            PlanDef("Family Care", "80", "75", {"MR": "350.00"}, "100", 3),
            PlanDef("Gold", "95", "90", {}, "100", 1),
        ),
        16,
    ),
    SchemeDef(
        "Fidelity Life Medical Aid",
        "FIDELITY",
        "+263242750000",
        "claims@fidelitylife.example",
        "FL",
        7,
        (
            PlanDef("Classic", "75", "70", {"CT": "250.00", "MR": "320.00"}, None, 2),
            PlanDef("Premier", "100", "90", {}, "100", 1),
        ),
        10,
    ),
    SchemeDef(
        "Alliance Health",
        "ALLIANCE",
        "+263242870000",
        "claims@alliancehealth.example",
        "AH",
        6,
        (
            PlanDef("Health Essentials", "70", "65", {"CT": "200.00", "MR": "260.00"}, None, 2),
            PlanDef("Health Comprehensive", "90", "85", {}, "100", 1),
            PlanDef("Corporate", "100", "100", {}, "100", 1),
        ),
        10,
    ),
)

CLAIM_REJECTION_NOTES = (
    "Member suspended: contributions in arrears.",
    "Annual radiology benefit exhausted.",
    "Member not found on the scheme's register.",
    "Claim submitted after the 90-day limit.",
)
CLAIM_NO_PREAUTH_NOTE = "No pre-authorisation obtained for the procedure."
CLAIM_SHORT_PAID_NOTES = (
    "Paid at scheme tariff.",
    "Paid at scheme tariff; balance for the member's account.",
    "Contrast medium not covered on this plan.",
    "Partly paid: benefit limit reached.",
)

# --- People and places ---------------------------------------------------------------------

FEMALE_FIRST_NAMES = (
    "Chipo", "Rudo", "Tsitsi", "Nyasha", "Rutendo", "Tatenda", "Vimbai", "Ruvimbo", "Chiedza",
    "Fadzai", "Tariro", "Rumbidzai", "Yeukai", "Shamiso", "Nokuthula", "Thandiwe", "Sithembile",
    "Nomvula", "Lindiwe", "Zanele", "Busisiwe", "Ntombizodwa", "Sibongile", "Nompilo",
    "Precious", "Memory", "Loveness", "Patience", "Charity", "Gladys", "Grace", "Mercy", "Faith",
    "Blessing", "Sharon", "Tendai", "Kudzai", "Anesu", "Ropafadzo", "Mufaro", "Tinotenda",
    "Nyarai", "Netsai", "Chenai", "Tinashe", "Ruramai", "Nokutenda", "Ratidzo", "Tanatswa",
    "Sandra", "Esther", "Ruth", "Agnes", "Mavis", "Sekai", "Mutsa", "Makanaka", "Danai", "Nomsa",
    "Rejoice", "Fungai", "Samantha", "Natasha", "Eunice", "Tecla", "Hazel", "Mitchell",
)  # fmt: skip
MALE_FIRST_NAMES = (
    "Tendai", "Tatenda", "Farai", "Tapiwa", "Tinashe", "Takudzwa", "Tafadzwa", "Munyaradzi",
    "Simbarashe", "Tawanda", "Tonderai", "Kudakwashe", "Tanaka", "Takunda", "Tinotenda",
    "Panashe", "Ngonidzashe", "Blessing", "Prosper", "Trust", "Godknows", "Innocent", "Lovemore",
    "Givemore", "Learnmore", "Brighton", "Tichaona", "Fungai", "Tongai", "Tafara", "Sipho",
    "Sibusiso", "Nkosana", "Bongani", "Themba", "Thulani", "Mandla", "Sakhile", "Mthokozisi",
    "Sithembiso", "Nkululeko", "Thabani", "Mduduzi", "Zenzo", "Dumisani", "Bheki", "Wellington",
    "Ephraim", "Joseph", "Peter", "Tendekai", "Shingirai", "Nigel", "Brian", "Kelvin", "Tonde",
    "Ronald", "Clever", "Admire", "Never", "Obert", "Gift", "Edmore", "Farirai", "Rufaro",
)  # fmt: skip
# (surname, relative frequency)
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (name, 5 if name in {"Moyo", "Ncube", "Sibanda", "Dube", "Ndlovu"} else 1)
    for name in (
        "Moyo", "Ncube", "Sibanda", "Dube", "Ndlovu", "Mpofu", "Nyathi", "Khumalo", "Mhlanga",
        "Tshuma", "Gumbo", "Shumba", "Chikore", "Mutasa", "Makoni", "Chigumba", "Marufu",
        "Mushonga", "Chirwa", "Banda", "Phiri", "Mwale", "Zhou", "Mlambo", "Maposa", "Chiweshe",
        "Mapfumo", "Machingura", "Mabhena", "Nkala", "Hove", "Chinembiri", "Chimombe",
        "Chakanyuka", "Gwatidzo", "Madziva", "Magaya", "Makumbe", "Manyika", "Marange",
        "Masuku", "Matambo", "Matare", "Mawere", "Mazarura", "Mhlophe", "Mlilo", "Moyana",
        "Mudzingwa", "Mugadza", "Mukaro", "Munemo", "Musarurwa", "Mutambara", "Mutero", "Ndoro",
        "Nhema", "Nyamande", "Nyoni", "Rusere", "Sithole", "Tembo", "Chari", "Chidzikwe",
        "Chingwaru", "Chitando", "Choto", "Dhliwayo", "Gumede", "Jere", "Kanengoni", "Kapfunde",
        "Katsande", "Madondo", "Mafu", "Mangena", "Mapurisa", "Marimo", "Matanga", "Mhembere",
        "Mlalazi", "Mpala", "Mtetwa", "Mudimu", "Muchena", "Mukwena", "Munyoro", "Mushore",
        "Mutendi", "Nare", "Ngwenya", "Sigauke", "Zulu", "Chidembo", "Gono", "Mandaza",
    )
)  # fmt: skip


@dataclass(frozen=True)
class TownDef:
    name: str
    weight: float
    suburbs: tuple[str, ...]
    streets: tuple[str, ...]
    id_office: str  # the two-digit registration office in national IDs issued there


TOWNS: tuple[TownDef, ...] = (
    TownDef(
        "Harare",
        62,
        (
            "Avondale",
            "Borrowdale",
            "Mabelreign",
            "Greendale",
            "Highlands",
            "Mount Pleasant",
            "Belvedere",
            "Waterfalls",
            "Hatfield",
            "Marlborough",
            "Glen Lorne",
            "Eastlea",
            "Milton Park",
            "Mbare",
            "Highfield",
            "Glen View",
            "Budiriro",
            "Kuwadzana",
            "Warren Park",
            "Mabvuku",
            "Tafara",
            "Greystone Park",
            "Bluff Hill",
            "Kambuzuma",
            "Dzivarasekwa",
            "Westgate",
            "Msasa Park",
            "Chisipite",
            "Emerald Hill",
            "Arcadia",
        ),
        (
            "Samora Machel Avenue",
            "Jason Moyo Avenue",
            "Josiah Tongogara Avenue",
            "Herbert Chitepo Avenue",
            "Enterprise Road",
            "Borrowdale Road",
            "Seke Road",
            "Churchill Avenue",
            "Lomagundi Road",
            "Second Street",
            "Fife Avenue",
            "King George Road",
            "Harare Drive",
            "Quorn Avenue",
            "Nelson Mandela Avenue",
            "Lanark Road",
            "Kaguvi Street",
            "Mutare Road",
            "Bishop Gaul Avenue",
            "Ridgeway North",
        ),
        "63",
    ),
    TownDef(
        "Chitungwiza",
        9,
        ("Zengeza 2", "Zengeza 4", "St Mary's", "Seke Unit A", "Seke Unit K", "Makoni"),
        ("Chaminuka Road", "Tilcor Road", "Mangwende Drive", "Chitungwiza Road"),
        "25",
    ),
    TownDef(
        "Bulawayo",
        11,
        (
            "Suburbs",
            "Hillside",
            "Burnside",
            "Khumalo",
            "Bradfield",
            "Famona",
            "Nkulumane",
            "Entumbane",
            "Pumula",
            "Luveve",
            "Mpopoma",
            "Magwegwe",
            "Cowdray Park",
            "Parklands",
        ),
        (
            "Leopold Takawira Avenue",
            "Fort Street",
            "Lobengula Street",
            "Masotsha Ndlovu Avenue",
            "Hillside Road",
            "Joshua Mqabuko Nkomo Street",
            "George Silundika Street",
            "Cecil Avenue",
            "Gwanda Road",
        ),
        "08",
    ),
    TownDef(
        "Ruwa",
        4,
        ("Windsor Park", "Zimre Park", "Chipukutu", "Sunway City"),
        ("Mutare Road", "Fairview Drive", "Main Street"),
        "63",
    ),
    TownDef(
        "Norton",
        3,
        ("Katanga", "Galloway", "Johannesburg Township", "Ngoni"),
        ("Gleneagles Road", "Bulawayo Road", "Knowe Drive"),
        "63",
    ),
    TownDef(
        "Marondera",
        3,
        ("Cherutombo", "Rusike", "Yellow City", "Paddonhurst"),
        ("The Green", "Second Street", "Harare Road"),
        "42",
    ),
    TownDef(
        "Bindura",
        2,
        ("Chipadze", "Aerodrome", "Chiwaridzo"),
        ("Robert Mugabe Road", "Thurlows Avenue"),
        "07",
    ),
    TownDef(
        "Mutare",
        3,
        ("Murambi", "Dangamvura", "Sakubva", "Palmerston", "Chikanga"),
        ("Herbert Chitepo Street", "Aerodrome Road", "Robert Mugabe Road"),
        "75",
    ),
    TownDef(
        "Kadoma",
        2,
        ("Rimuka", "Waverley", "Eiffel Flats"),
        ("Union Street", "Herbert Chitepo Street"),
        "43",
    ),
)

# National IDs: the two digits at the end are the district of origin.
ID_DISTRICTS = ("63", "42", "08", "75", "70", "59", "47", "22", "29", "13", "24", "38", "50")
ID_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRSTVWXY"

# (prefix after +263, relative frequency)
MOBILE_PREFIXES = (("77", 45), ("78", 25), ("71", 25), ("73", 5))
EMAIL_DOMAINS = ("mail.example", "inbox.example", "webmail.example", "post.example")

PRACTICES: tuple[tuple[str, str], ...] = (
    ("Avenues Family Practice", "avenuesfp.example"),
    ("Borrowdale Medical Centre", "borrowdalemed.example"),
    ("Baines Avenue Clinic", "bainesclinic.example"),
    ("Belgravia Medical Rooms", "belgraviamed.example"),
    ("Highlands Surgery", "highlandssurgery.example"),
    ("Mount Pleasant Medical Centre", "mpmc.example"),
    ("Westgate Family Doctors", "westgatedocs.example"),
    ("Chitungwiza Medical Centre", "chitungwizamc.example"),
    ("Eastlea Orthopaedic Rooms", "eastleaortho.example"),
    ("Harare Women's Health", "hwh.example"),
    ("Newlands Clinic", "newlandsclinic.example"),
    ("Kuwadzana Polyclinic", "kuwadzanapoly.example"),
    ("Hillside Medical Suites", "hillsidemed.example"),
    ("Milton Park Medical Centre", "miltonparkmc.example"),
    ("Ruwa Family Health", "ruwahealth.example"),
    ("Greendale Paediatrics", "greendalepaeds.example"),
)

# --- Visits --------------------------------------------------------------------------------

CANCELLATION_REASONS = (
    "Patient request: travelling",
    "Patient request: feeling better",
    "Rescheduled at the patient's request",
    "Medical aid pre-authorisation not yet approved",
    "Referring doctor cancelled the request",
    "Patient unwell, will rebook",
    "Transport problems",
    "Work commitments",
)
LATE_CANCELLATION_REASONS = (
    "Family emergency",
    "Patient admitted to hospital",
    "No transport on the day (fuel shortage)",
    "Patient unwell on the morning of the scan",
    "Bereavement in the family",
    "Could not take time off work",
    "Pre-authorisation declined the day before",
)

# Refunds give back a second payment for the same visit.
REFUND_REASONS = (
    "Duplicate payment at the front desk",
    "Paid twice: at the desk and by EFT",
    "Mobile money payment sent twice",
    "Card charged twice (terminal timed out)",
)

ADDENDA = (
    "Comparison with the outside study of last year now available: the finding is unchanged "
    "and therefore likely benign.",
    "Correction: the laterality in the findings should read left, not right. The impression "
    "is unchanged.",
    "Discussed with the referring doctor by phone; follow-up imaging in 3 months advised.",
    "Additional review of the images: no further abnormality. Report otherwise unchanged.",
    "Biopsy result received: histology confirms the radiological diagnosis.",
)

FEEDBACK_COMMENTS_GOOD = (
    "Friendly staff and very quick service.",
    "The radiographer explained everything clearly.",
    "Clean facility and I was seen on time.",
    "Excellent service, thank you.",
    "Reception was very helpful with my medical aid.",
    "I was nervous about the MRI but the staff made me comfortable.",
    "Report was ready the same day. Very impressed.",
    "Good parking and easy to find.",
)
FEEDBACK_COMMENTS_MIXED = (
    "Good scan but I waited a long time in reception.",
    "Staff were kind but the waiting area was crowded.",
    "The preparation instructions could have been clearer.",
    "Took a while to sort out the medical aid.",
)
FEEDBACK_COMMENTS_BAD = (
    "Waited over an hour past my appointment time.",
    "Nobody told me I had to fast; had to come back another day.",
    "Co-payment was much higher than I was told on the phone.",
    "Reception was rude on the phone.",
    "The report took too long to reach my doctor.",
)

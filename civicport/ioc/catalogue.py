"""The starter indicator catalogue, targets, report templates and DTI methodologies
(reference notes ioc.md, tables (a) and (b); sources in the `source` column).

Rows: (code, name_vi, name_en, unit, pillar, direction, frequency, responsible agency code
or "", live source or "", public, on wall, source).
"""

SKHCN = "000.00.06.H31"  # Sở Khoa học và Công nghệ: runs digital transformation since 2025
STC = "000.00.03.H31"  # Sở Tài chính
SCT = "000.00.10.H31"  # Sở Công Thương
VP = "000.00.01.H31"  # Văn phòng UBND thành phố
CA = "000.00.15.H31"  # Công an thành phố

INDICATORS = [
    ("CQS-03", "Tỷ lệ hồ sơ giải quyết đúng hạn", "Cases resolved on time", "percent", "CQS",
     "higher", "month", VP, "CQS-03", True, True, "Live: public services; 766 indicator 2.1"),
    ("CQS-02", "Tỷ lệ hồ sơ nộp trực tuyến", "Cases filed online", "percent", "CQS", "higher",
     "month", VP, "CQS-02", True, True, "Live: public services (online channel)"),
    ("PS-01", "Hồ sơ TTHC tiếp nhận", "Dossiers received", "count", "PA", "neutral", "month",
     VP, "PS-01", True, True, "Live: public services"),
    ("PA-01", "Điểm Bộ chỉ số 766 (phần tính được, quy về 100)",
     "766 service score (computable part, scaled to 100)", "points", "PA", "higher", "month",
     VP, "PA-01", True, True, "Live: public services; Decision 766/QĐ-TTg"),
    ("PA-02", "Tỷ lệ hài lòng giải quyết TTHC", "Procedure satisfaction", "percent", "PA",
     "higher", "month", VP, "PA-02", True, False, "Live: ratings ≥ 4 of rated dossiers"),
    ("FB-01", "Phản ánh hiện trường tiếp nhận", "Field reports received", "count", "XHS",
     "neutral", "month", VP, "FB-01", True, True, "Live: feedback 1022"),
    ("FB-02", "Tỷ lệ phản ánh được trả lời", "Reports answered", "percent", "XHS", "higher",
     "month", VP, "FB-02", True, False, "Live: feedback 1022"),
    ("FB-03", "Tỷ lệ hài lòng xử lý phản ánh", "Resolution satisfaction", "percent", "XHS",
     "higher", "month", VP, "FB-03", True, True, "Live: feedback 1022"),
    ("FB-04", "Thời gian trả lời phản ánh bình quân", "Mean time to answer", "days", "XHS",
     "lower", "month", VP, "FB-04", False, False, "Live: feedback 1022"),
    ("FB-05", "Tỷ lệ phản ánh trả lời đúng hạn", "Reports answered on time", "percent", "XHS",
     "higher", "month", VP, "FB-05", True, True, "Live: feedback 1022"),
    ("FB-06", "Phản ánh quá hạn chưa xử lý", "Overdue open reports", "count", "XHS", "lower",
     "month", VP, "FB-06", False, True, "Live: feedback 1022"),
    ("CQS-10", "Bộ dữ liệu mở đã công bố", "Open datasets published", "count", "CQS",
     "higher", "month", SKHCN, "CQS-10", True, True, "Live: datahub"),
    ("DH-01", "Tỷ lệ sở, ngành công bố dữ liệu mở", "Departments publishing open data",
     "percent", "CQS", "higher", "month", SKHCN, "DH-01", True, False, "Live: datahub"),
    ("PLAN-01", "Nhiệm vụ CĐS năm hoàn thành đúng hạn", "Yearly tasks done on time", "percent",
     "PLAN", "higher", "year", SKHCN, "PLAN-01", True, True, "Live: task plan"),
    ("PLAN-02", "Giải ngân kinh phí CĐS", "Digital-transformation budget disbursed", "percent",
     "PLAN", "higher", "year", SKHCN, "PLAN-02", True, True, "Live: task plan"),
    ("OPS-02", "Báo cáo định kỳ nộp đúng hạn", "Periodic reports on time", "percent", "CQS",
     "higher", "month", VP, "OPS-02", False, True, "Live: department reports"),
    ("CQS-05", "Hồ sơ công việc xử lý trên môi trường mạng – cấp thành phố",
     "Work files handled online, city level", "percent", "CQS", "higher", "month", "", "",
     False, False, "Monthly department reports; Resolution 03-NQ/TU"),
    ("CQS-09", "Văn bản điện tử ký số gửi trên môi trường mạng",
     "Signed e-documents sent online", "percent", "CQS", "higher", "month", "", "", False,
     False, "Monthly department reports"),
    ("KTS-01", "Tỷ trọng kinh tế số trong GRDP", "Digital economy share of GRDP", "percent",
     "KTS", "higher", "year", STC, "", True, False, "GSO; Circular 13/2021/TT-BKHĐT"),
    ("KTS-03", "Tỷ trọng TMĐT trong tổng mức bán lẻ", "E-commerce share of retail", "percent",
     "KTS", "higher", "quarter", SCT, "", True, False, "Quarterly report of Sở Công Thương"),
    ("XHS-01", "Hộ gia đình có kết nối cáp quang", "Households with fibre", "percent", "XHS",
     "higher", "year", SKHCN, "", True, False, "Annual survey (Sở KH&CN, statistics office)"),
    ("XHS-04", "Người trưởng thành có tài khoản VNeID", "Adults with VNeID", "percent", "XHS",
     "higher", "quarter", CA, "", True, False, "Quarterly report of Công an thành phố"),
    ("KTXH-02", "Thu ngân sách", "Budget revenue", "bn_vnd", "KTXH", "higher", "month", STC,
     "", True, False, "Monthly report of Sở Tài chính"),
    ("KTXH-03", "Giải ngân vốn đầu tư công", "Public-investment disbursement", "percent",
     "KTXH", "higher", "month", STC, "", True, False, "Monthly report of Sở Tài chính"),
    ("OPS-01", "Camera trực tuyến / tổng số", "Cameras online / total", "percent", "HT",
     "higher", "week", CA, "", False, False, "Weekly report of Công an thành phố"),
    ("AT-02", "Sự cố an toàn thông tin chưa xử lý", "Open security incidents", "count", "AT",
     "lower", "week", SKHCN, "", False, False, "Weekly report of Sở KH&CN"),
    ("DTI-00", "Chỉ số DTI cấp tỉnh", "Provincial DTI", "index", "DTI", "higher", "year",
     SKHCN, "", True, False, "dti.gov.vn"),
]

# (indicator, year, baseline, baseline year, target, tolerance, source document, note)
TARGETS = [
    ("KTS-01", 2025, 29.7, 2023, 35.0, 3.0, "Kế hoạch 106/KH-UBND (2025)",
     "Nghị quyết 03-NQ/TU đặt 25%; kế hoạch 2025 nâng lên 35%"),
    ("KTS-03", 2025, None, None, 15.0, 1.5, "Kế hoạch 106/KH-UBND (2025)", "> 15%"),
    ("XHS-04", 2025, None, None, 80.0, 5.0, "Kế hoạch 106/KH-UBND (2025)", ""),
    ("XHS-01", 2025, None, None, 80.0, 5.0, "Quyết định 749/QĐ-TTg", "mốc quốc gia"),
    ("CQS-05", 2025, None, None, 90.0, 5.0, "Nghị quyết 03-NQ/TU", ""),
    ("CQS-09", 2025, None, None, 100.0, 5.0, "Kế hoạch chuyển đổi số thành phố", ""),
    ("DTI-00", 2025, 0.7857, 2024, 0.80, 0.03, "Kế hoạch 86/KH-UBND (2022)",
     "top 5 năm 2025; chỉ số mục tiêu là ước tính của thành phố"),
    ("PLAN-01", 2025, None, None, 100.0, 10.0, "Kế hoạch chuyển đổi số năm", ""),
    ("PLAN-02", 2025, None, None, 100.0, 10.0, "Kế hoạch chuyển đổi số năm", ""),
    ("OPS-02", 2025, None, None, 100.0, 10.0, "Kế hoạch 227/KH-UBND (2020)", ""),
    ("AT-02", 2025, None, None, 0.0, 1.0, "Kế hoạch chuyển đổi số thành phố", "0 sự cố tồn đọng"),
]
# City-set operating targets carried each year from 2025 on (no published figure: marked so).
YEARLY_TARGETS = [
    ("CQS-03", 95.0, 3.0, "Mục tiêu vận hành do thành phố đặt (Quyết định 766: 20 điểm)"),
    ("CQS-02", 90.0, 5.0, "Mục tiêu vận hành do thành phố đặt (> 90% thực tế 2024)"),
    ("PA-01", 90.0, 5.0, "Mục tiêu vận hành do thành phố đặt"),
    ("FB-02", 99.0, 2.0, "Mục tiêu vận hành do thành phố đặt (Huế ~99%)"),
    ("FB-03", 92.0, 3.0, "Mục tiêu vận hành do thành phố đặt (Huế ~92%)"),
    ("FB-04", 3.0, 0.5, "Mục tiêu vận hành do thành phố đặt"),
    ("FB-05", 95.0, 3.0, "Mục tiêu vận hành do thành phố đặt"),
    ("FB-06", 0.0, 20.0, "Mục tiêu vận hành do thành phố đặt"),
    ("CQS-10", 98.0, 10.0, "Danh mục 98 bộ dữ liệu mở của thành phố"),
    ("PLAN-01", 100.0, 10.0, "Kế hoạch chuyển đổi số năm"),
    ("PLAN-02", 100.0, 10.0, "Kế hoạch chuyển đổi số năm"),
    ("OPS-02", 100.0, 10.0, "Kế hoạch 227/KH-UBND (2020)"),
]

# (code, name, frequency, deadline working days, agency codes or "departments",
#  [(field code, label, unit, min, max, indicator code)])
REPORT_TEMPLATES = [
    ("bao-cao-tuan", "Báo cáo tuần tình hình vận hành", "week", 1, [CA, SKHCN], [
        ("camera_truc_tuyen", "Camera trực tuyến / tổng số", "percent", None, None, "OPS-01"),
        ("su_co_attt", "Sự cố an toàn thông tin chưa xử lý", "count", None, 1000, "AT-02"),
    ]),
    ("bao-cao-thang", "Báo cáo tháng chuyển đổi số và kinh tế - xã hội", "month", 3,
     "departments", [
         ("ho_so_cong_viec", "Hồ sơ công việc xử lý trên môi trường mạng", "percent", None,
          None, "CQS-05"),
         ("van_ban_ky_so", "Văn bản điện tử ký số gửi trên môi trường mạng", "percent", None,
          None, "CQS-09"),
         ("thu_ngan_sach", "Thu ngân sách trong tháng (nếu có)", "bn_vnd", 0, 50000, "KTXH-02"),
     ]),
    ("bao-cao-quy", "Báo cáo quý kinh tế số", "quarter", 5, [SCT, CA], [
        ("tmdt_ban_le", "Tỷ trọng TMĐT trong tổng mức bán lẻ", "percent", None, None, "KTS-03"),
        ("vneid", "Người trưởng thành có tài khoản VNeID", "percent", None, None, "XHS-04"),
    ]),
]

# DTI methodologies. Weights of 922 are verified (ioc.md §1); 2020 (1726) and 2025 (405)
# structures are known by their counts only: their weights are ILLUSTRATIVE (unverified).
DTI_METHODOLOGIES = [
    ("1726-2020", "DTI 2020 (Quyết định 1726/QĐ-BTTTT)", "1726/QĐ-BTTTT ngày 12/10/2020", 2020,
     False, [
         ("CQS", "Chính quyền số", 334), ("KTS", "Kinh tế số", 333), ("XHS", "Xã hội số", 333),
     ]),
    ("922-2022", "DTI 2022 (Quyết định 922/QĐ-BTTTT)", "922/QĐ-BTTTT ngày 20/05/2022", 2021,
     True, [
         ("NT", "Nhận thức số", 100), ("TC", "Thể chế số", 100), ("HT", "Hạ tầng số", 100),
         ("NL", "Nhân lực số", 100), ("AT", "An toàn thông tin mạng", 100),
         ("DTTM", "Đô thị thông minh", 0), ("CQS", "Hoạt động chính quyền số", 200),
         ("KTS", "Hoạt động kinh tế số", 150), ("XHS", "Hoạt động xã hội số", 150),
     ]),
    ("405-2025", "DTI 2025 (Quyết định 405/QĐ-BKHCN)", "405/QĐ-BKHCN ngày 03/04/2025", 2025,
     False, [
         ("NT", "Nhận thức số", 100), ("TC", "Thể chế số", 100), ("HT", "Hạ tầng số", 125),
         ("NL", "Nhân lực số", 100), ("AT", "An toàn thông tin mạng", 100),
         ("CQS", "Hoạt động chính quyền số", 175), ("KTS", "Hoạt động kinh tế số", 150),
         ("XHS", "Hoạt động xã hội số", 150),
     ]),
]

# Published DTI results of Hải Phòng (31) and Hải Dương (30): (code, name, year, index, rank,
# source). Only figures with a source in ioc.md; the others are UNVERIFIED and left out.
DTI_HISTORY = [
    (31, "Hải Phòng", 2020, None, 21, "viettimes.vn (S6)"),
    (30, "Hải Dương", 2020, 0.3504, 14, "baohaiduong.vn (S7)"),
    (31, "Hải Phòng", 2021, None, 16, "anhp.vn (S5)"),
    (31, "Hải Phòng", 2022, None, 14, "dti.gov.vn/xep-hang-2022 (S4)"),
    (30, "Hải Dương", 2022, None, 13, "dti.gov.vn/xep-hang-2022 (S4)"),
    (31, "Hải Phòng", 2023, None, 8, "nguoihanoi.vn (S9)"),
    (31, "Hải Phòng", 2024, 0.7857, 3, "vietnam.vn (S8); bảng 34 tỉnh công bố 21/10/2025"),
]

# The top five of the published 2022 table (dti.gov.vn/xep-hang-2022): the eight scored main
# indicators (NT, TC, HT, NL, AT, CQS, KTS, XHS; smart city is not published) and the DTI.
# Recomputing gives the published index exactly, except HCMC (0.7164 against 0.7163).
DTI_2022_PUBLISHED = [
    (48, "TP. Đà Nẵng", (1.0000, 0.9000, 0.8253, 0.8487, 0.7578, 0.8575, 0.7836, 0.5197),
     0.8002, 1),
    (79, "TP. Hồ Chí Minh", (0.8917, 0.9000, 0.8258, 0.6267, 0.5580, 0.8406, 0.7611, 0.3590),
     0.7163, 2),
    (22, "Quảng Ninh", (0.9581, 0.9000, 0.7648, 0.6250, 0.5382, 0.8385, 0.5904, 0.4505),
     0.7024, 3),
    (46, "Thừa Thiên - Huế", (0.9500, 0.9000, 0.6823, 0.6794, 0.6423, 0.8262, 0.6787, 0.3001),
     0.6975, 4),
    (92, "TP. Cần Thơ", (0.9000, 0.8000, 0.7233, 0.7376, 0.7226, 0.7325, 0.7556, 0.2947),
     0.6924, 5),
]
DTI_2022_CODES = ("NT", "TC", "HT", "NL", "AT", "CQS", "KTS", "XHS")

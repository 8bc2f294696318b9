# ruff: noqa: E501 - the files are copied verbatim, long lines included
"""Verbatim copies of the example packages of AXIS.md §15 (/work/shared/protocol/examples/).

Embedded so unit tests need no filesystem and CI (a clean clone) has them;
``tests/integration/test_edxml_examples.py`` checks that the copies still match the originals.
"""

from __future__ import annotations

EDOC_NEW = """\
<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.13.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND tỉnh Tây Ninh</edXML:OrganizationInCharge>
          <edXML:OrganName>Sở Thông tin và Truyền thông tỉnh Tây Ninh</edXML:OrganName>
          <edXML:OrganAdd>Số 1 Đường Ví Dụ, Phường 2, Thành phố Tây Ninh</edXML:OrganAdd>
          <edXML:Email>stttt@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 000</edXML:Telephone>
          <edXML:Fax>0276 3000 001</edXML:Fax>
          <edXML:Website>https://stttt.example.gov.vn</edXML:Website>
        </edXML:From>
        <edXML:To>
          <edXML:OrganId>000.00.31.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND tỉnh Tây Ninh</edXML:OrganizationInCharge>
          <edXML:OrganName>UBND huyện Bến Cầu</edXML:OrganName>
          <edXML:OrganAdd>Thị trấn Bến Cầu, huyện Bến Cầu</edXML:OrganAdd>
          <edXML:Email>bencau@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 100</edXML:Telephone>
          <edXML:Fax>0276 3000 101</edXML:Fax>
          <edXML:Website>https://bencau.example.gov.vn</edXML:Website>
        </edXML:To>
        <edXML:To>
          <edXML:OrganId>000.22.31.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND huyện Bến Cầu</edXML:OrganizationInCharge>
          <edXML:OrganName>UBND xã Long Chữ</edXML:OrganName>
          <edXML:OrganAdd>Xã Long Chữ, huyện Bến Cầu</edXML:OrganAdd>
          <edXML:Email>longchu@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 200</edXML:Telephone>
          <edXML:Fax>0276 3000 201</edXML:Fax>
          <edXML:Website>https://longchu.example.gov.vn</edXML:Website>
        </edXML:To>
        <edXML:DocumentId>000.00.13.H53,2024/11/05,412/STTTT-VP</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>412</edXML:CodeNumber>
          <edXML:CodeNotation>STTTT-VP</edXML:CodeNotation>
        </edXML:Code>
        <edXML:PromulgationInfo>
          <edXML:Place>Tây Ninh</edXML:Place>
          <edXML:PromulgationDate>2024/11/05</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:DocumentType>
          <edXML:Type>1</edXML:Type>
          <edXML:TypeDetail>0</edXML:TypeDetail>
          <edXML:TypeName>Công văn</edXML:TypeName>
        </edXML:DocumentType>
        <edXML:Subject>V/v đôn đốc kết nối phần mềm quản lý văn bản với Trục liên thông văn bản quốc gia</edXML:Subject>
        <edXML:Content>Đề nghị các đơn vị hoàn thành kết nối và báo cáo kết quả trước ngày 20/11/2024.</edXML:Content>
        <edXML:SignerInfo>
          <edXML:Competence>KT. GIÁM ĐỐC</edXML:Competence>
          <edXML:Position>Phó Giám đốc</edXML:Position>
          <edXML:FullName>Nguyễn Văn A</edXML:FullName>
        </edXML:SignerInfo>
        <edXML:DueDate>2024/11/20</edXML:DueDate>
        <edXML:OtherInfo>
          <edXML:Priority>0</edXML:Priority>
          <edXML:SphereOfPromulgation>Liên thông văn bản quốc gia</edXML:SphereOfPromulgation>
          <edXML:TyperNotation>VP</edXML:TyperNotation>
          <edXML:PromulgationAmount>1</edXML:PromulgationAmount>
          <edXML:PageAmount>1</edXML:PageAmount>
          <edXML:Direction>false</edXML:Direction>
        </edXML:OtherInfo>
        <edXML:SteeringType>0</edXML:SteeringType>
        <edXML:ToPlaces>
          <edXML:Place>Như trên</edXML:Place>
          <edXML:Place>Lưu: VT, VP</edXML:Place>
        </edXML:ToPlaces>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader>
          <edXML:OrganId>000.00.13.H53</edXML:OrganId>
          <edXML:Timestamp>2024/11/05 08:30:00</edXML:Timestamp>
        </edXML:TraceHeader>
        <edXML:Bussiness>
          <edXML:DocumentId>000.00.13.H53,2024/11/05,412/STTTT-VP</edXML:DocumentId>
          <edXML:BussinessDocType>0</edXML:BussinessDocType>
          <edXML:BussinessDocReason>Văn bản điện tử mới</edXML:BussinessDocReason>
          <edXML:Paper>0</edXML:Paper>
          <edXML:StaffInfo>
            <edXML:Department>Văn phòng Sở</edXML:Department>
            <edXML:Staff>Trần Thị B</edXML:Staff>
            <edXML:Email>vanthu.stttt@example.gov.vn</edXML:Email>
            <edXML:Mobile>0900000000</edXML:Mobile>
          </edXML:StaffInfo>
        </edXML:Bussiness>
      </edXML:TraceHeaderList>
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34</edXML:ContentId>
          <edXML:ContentType>application/pdf</edXML:ContentType>
          <edXML:Description>Công văn số 412/STTTT-VP</edXML:Description>
          <edXML:AttachmentName>412-STTTT-VP.pdf</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34</ContentId>
      <AttachmentName>412-STTTT-VP.pdf</AttachmentName>
      <Description>Công văn số 412/STTTT-VP</Description>
      <ContentType>application/pdf</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCA1OTUgODQyXSAvUmVzb3VyY2VzIDw8IC9Gb250IDw8IC9GMSA0IDAgUiA+PiA+PiAvQ29udGVudHMgNSAwIFIgPj4KZW5kb2JqCjQgMCBvYmoKPDwgL1R5cGUgL0ZvbnQgL1N1YnR5cGUgL1R5cGUxIC9CYXNlRm9udCAvSGVsdmV0aWNhID4+CmVuZG9iago1IDAgb2JqCjw8IC9MZW5ndGggMTIzID4+CnN0cmVhbQpCVAovRjEgMTQgVGYKNzIgNzcwIFRkCjE4IFRMCihDT05HIFZBTiBTTyA0MTIvU1RUVFQtVlAgXChWSSBEVVwpKSBUaiBUKgooVGFpIGxpZXUgbWF1IGNobyBtb2kgdHJ1b25nIHRodSBuZ2hpZW0uKSBUaiBUKgpFVAplbmRzdHJlYW0KZW5kb2JqCnhyZWYKMCA2CjAwMDAwMDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMDI0MSAwMDAwMCBuIAowMDAwMDAwMzExIDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDg0CiUlRU9GCg==</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>
""".encode()

EDOC_REVOKE = """\
<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.13.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND tỉnh Tây Ninh</edXML:OrganizationInCharge>
          <edXML:OrganName>Sở Thông tin và Truyền thông tỉnh Tây Ninh</edXML:OrganName>
          <edXML:OrganAdd>Số 1 Đường Ví Dụ, Phường 2, Thành phố Tây Ninh</edXML:OrganAdd>
          <edXML:Email>stttt@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 000</edXML:Telephone>
          <edXML:Fax>0276 3000 001</edXML:Fax>
          <edXML:Website>https://stttt.example.gov.vn</edXML:Website>
        </edXML:From>
        <edXML:To>
          <edXML:OrganId>000.00.31.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND tỉnh Tây Ninh</edXML:OrganizationInCharge>
          <edXML:OrganName>UBND huyện Bến Cầu</edXML:OrganName>
          <edXML:OrganAdd>Thị trấn Bến Cầu, huyện Bến Cầu</edXML:OrganAdd>
          <edXML:Email>bencau@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 100</edXML:Telephone>
          <edXML:Fax>0276 3000 101</edXML:Fax>
          <edXML:Website>https://bencau.example.gov.vn</edXML:Website>
        </edXML:To>
        <edXML:To>
          <edXML:OrganId>000.22.31.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND huyện Bến Cầu</edXML:OrganizationInCharge>
          <edXML:OrganName>UBND xã Long Chữ</edXML:OrganName>
          <edXML:OrganAdd>Xã Long Chữ, huyện Bến Cầu</edXML:OrganAdd>
          <edXML:Email>longchu@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 200</edXML:Telephone>
          <edXML:Fax>0276 3000 201</edXML:Fax>
          <edXML:Website>https://longchu.example.gov.vn</edXML:Website>
        </edXML:To>
        <edXML:DocumentId>000.00.13.H53,2024/11/05,412/STTTT-VP</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>412</edXML:CodeNumber>
          <edXML:CodeNotation>STTTT-VP</edXML:CodeNotation>
        </edXML:Code>
        <edXML:PromulgationInfo>
          <edXML:Place>Tây Ninh</edXML:Place>
          <edXML:PromulgationDate>2024/11/05</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:DocumentType>
          <edXML:Type>1</edXML:Type>
          <edXML:TypeDetail>0</edXML:TypeDetail>
          <edXML:TypeName>Công văn</edXML:TypeName>
        </edXML:DocumentType>
        <edXML:Subject>V/v đôn đốc kết nối phần mềm quản lý văn bản với Trục liên thông văn bản quốc gia</edXML:Subject>
        <edXML:Content>Đề nghị các đơn vị hoàn thành kết nối và báo cáo kết quả trước ngày 20/11/2024.</edXML:Content>
        <edXML:SignerInfo>
          <edXML:Competence>KT. GIÁM ĐỐC</edXML:Competence>
          <edXML:Position>Phó Giám đốc</edXML:Position>
          <edXML:FullName>Nguyễn Văn A</edXML:FullName>
        </edXML:SignerInfo>
        <edXML:DueDate>2024/11/20</edXML:DueDate>
        <edXML:OtherInfo>
          <edXML:Priority>0</edXML:Priority>
          <edXML:SphereOfPromulgation>Liên thông văn bản quốc gia</edXML:SphereOfPromulgation>
          <edXML:TyperNotation>VP</edXML:TyperNotation>
          <edXML:PromulgationAmount>1</edXML:PromulgationAmount>
          <edXML:PageAmount>1</edXML:PageAmount>
          <edXML:Direction>false</edXML:Direction>
        </edXML:OtherInfo>
        <edXML:SteeringType>0</edXML:SteeringType>
        <edXML:ToPlaces>
          <edXML:Place>Như trên</edXML:Place>
          <edXML:Place>Lưu: VT, VP</edXML:Place>
        </edXML:ToPlaces>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader>
          <edXML:OrganId>000.00.13.H53</edXML:OrganId>
          <edXML:Timestamp>2024/11/05 14:05:00</edXML:Timestamp>
        </edXML:TraceHeader>
        <edXML:Bussiness>
          <edXML:DocumentId>000.00.13.H53,2024/11/05,412/STTTT-VP</edXML:DocumentId>
          <edXML:BussinessDocType>1</edXML:BussinessDocType>
          <edXML:BussinessDocReason>Thu hồi văn bản điện tử: ban hành nhầm thời hạn báo cáo</edXML:BussinessDocReason>
          <edXML:Paper>0</edXML:Paper>
          <edXML:StaffInfo>
            <edXML:Department>Văn phòng Sở</edXML:Department>
            <edXML:Staff>Trần Thị B</edXML:Staff>
            <edXML:Email>vanthu.stttt@example.gov.vn</edXML:Email>
            <edXML:Mobile>0900000000</edXML:Mobile>
          </edXML:StaffInfo>
        </edXML:Bussiness>
      </edXML:TraceHeaderList>
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34</edXML:ContentId>
          <edXML:ContentType>application/pdf</edXML:ContentType>
          <edXML:Description>Công văn số 412/STTTT-VP</edXML:Description>
          <edXML:AttachmentName>412-STTTT-VP.pdf</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34</ContentId>
      <AttachmentName>412-STTTT-VP.pdf</AttachmentName>
      <Description>Công văn số 412/STTTT-VP</Description>
      <ContentType>application/pdf</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCA1OTUgODQyXSAvUmVzb3VyY2VzIDw8IC9Gb250IDw8IC9GMSA0IDAgUiA+PiA+PiAvQ29udGVudHMgNSAwIFIgPj4KZW5kb2JqCjQgMCBvYmoKPDwgL1R5cGUgL0ZvbnQgL1N1YnR5cGUgL1R5cGUxIC9CYXNlRm9udCAvSGVsdmV0aWNhID4+CmVuZG9iago1IDAgb2JqCjw8IC9MZW5ndGggMTIzID4+CnN0cmVhbQpCVAovRjEgMTQgVGYKNzIgNzcwIFRkCjE4IFRMCihDT05HIFZBTiBTTyA0MTIvU1RUVFQtVlAgXChWSSBEVVwpKSBUaiBUKgooVGFpIGxpZXUgbWF1IGNobyBtb2kgdHJ1b25nIHRodSBuZ2hpZW0uKSBUaiBUKgpFVAplbmRzdHJlYW0KZW5kb2JqCnhyZWYKMCA2CjAwMDAwMDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMDI0MSAwMDAwMCBuIAowMDAwMDAwMzExIDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDg0CiUlRU9GCg==</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>
""".encode()

STATUS_03 = """\
<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.31.H53</edXML:OrganId>
          <edXML:OrganizationInCharge>UBND tỉnh Tây Ninh</edXML:OrganizationInCharge>
          <edXML:OrganName>UBND huyện Bến Cầu</edXML:OrganName>
          <edXML:OrganAdd>Thị trấn Bến Cầu, huyện Bến Cầu</edXML:OrganAdd>
          <edXML:Email>bencau@example.gov.vn</edXML:Email>
          <edXML:Telephone>0276 3000 100</edXML:Telephone>
          <edXML:Fax>0276 3000 101</edXML:Fax>
          <edXML:Website>https://bencau.example.gov.vn</edXML:Website>
        </edXML:From>
        <edXML:ResponseFor>
          <edXML:OrganId>000.00.13.H53</edXML:OrganId>
          <edXML:Code>412/STTTT-VP</edXML:Code>
          <edXML:DocumentId>000.00.13.H53,2024/11/05,412/STTTT-VP</edXML:DocumentId>
          <edXML:PromulgationDate>2024/11/05</edXML:PromulgationDate>
        </edXML:ResponseFor>
        <edXML:StaffInfo>
          <edXML:Department>Văn phòng HĐND và UBND huyện</edXML:Department>
          <edXML:Staff>Lê Văn C</edXML:Staff>
          <edXML:Email>vanthu.bencau@example.gov.vn</edXML:Email>
          <edXML:Mobile>0900000001</edXML:Mobile>
        </edXML:StaffInfo>
        <edXML:StatusCode>03</edXML:StatusCode>
        <edXML:Description>Đã tiếp nhận, vào sổ văn bản đến</edXML:Description>
        <edXML:Timestamp>2024/11/05 09:15:20</edXML:Timestamp>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
</edXML>
""".encode()

ALL: dict[str, bytes] = {
    "edoc-new.edxml": EDOC_NEW,
    "edoc-revoke.edxml": EDOC_REVOKE,
    "status-03.edxml": STATUS_03,
}
